/*! Kawasaki City citizen chat widget. Embed with one tag, no build step:
 *   <script src="https://HOST/widget.js" data-lang="ja" data-ward="中原区" defer></script>
 * data-api: service origin (default: where this script came from); data-lang: ja | en;
 * data-ward: preset ward; data-open="true": start open. Elements with data-chat-open open the chat.
 * Chat over WebSocket /api/v1/chat, fallback POST /api/v1/ask. Server text is only ever set with
 * textContent. The conversation lives in sessionStorage (this tab only). */
(function () {
  'use strict';
  if (window.KawasakiChat) return;
  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var ds = (script && script.dataset) || {};
  var API = (ds.api || (script && script.src ? new URL(script.src, location.href).origin : location.origin)).replace(/\/+$/, '');
  var WS_URL = API.replace(/^http/, 'ws') + '/api/v1/chat';
  var KEY = 'kawasaki-chat:v1';
  var PHONE = '044-200-3939';
  var WARDS = ['川崎区', '幸区', '中原区', '高津区', '宮前区', '多摩区', '麻生区'];

  var T = {
    ja: {
      launch: 'チャットで質問', title: '川崎市 AIチャット案内', sub: '手続き・窓口・開庁日をご案内します',
      close: 'チャットを閉じる', closeShort: '閉じる', other: 'English', otherLabel: 'Switch to English', big: '文字を大きく',
      q: 'ご質問', send: '送信', hint: 'Enterで送信、Shift+Enterで改行',
      you: 'あなた', bot: '案内', note: 'お知らせ', log: '会話', op: 'オペレーター',
      privacy: '氏名・住所・電話番号・マイナンバーなどの個人情報は入力しないでください。',
      stored: '記録される内容',
      storedText: 'ご質問の文章（個人情報と思われる部分は伏せ字にします）、回答の種類、区、評価とコメント、日時を、回答の改善と市民の声の分析のために記録します。会話はこのタブを閉じると画面から消えます。',
      welcome: 'こんにちは。川崎市の手続き・窓口・開庁日などについてお答えします。ご質問を入力するか、下のボタンを選んでください。',
      examples: ['住民票の写しはどこで取れますか', '子どもが生まれたときの手続き', '区役所の開庁時間は', 'オペレーターと話したい'],
      source: '出典', dept: '担当', reviewed: '情報確認日', check: 'やることリスト', related: '関連する質問',
      choose: '選択肢', fbQ: 'この回答は役に立ちましたか？', yes: '役に立った', no: '役に立たなかった',
      fbThanks: '評価を受け付けました。ありがとうございます。', comment: 'ご意見（任意・個人情報は書かないでください）',
      fbSend: '意見を送る', fbDone: 'ご意見ありがとうございました。', ward: 'お住まいの区',
      connecting: '接続しています…', online: '接続中', offline: '接続が切れました。再接続しています…',
      http: '簡易接続で利用中', hoursText: '毎日 8:00〜21:00', pending: '送信待ち（接続が戻りしだい送ります）', call: '電話', hours: '受付',
      cancel: '順番待ちを取り消す', newWin: '（新しいウィンドウで開きます）', exampleLabel: '質問の例',
      noLive: 'オペレーターとのチャットには常時接続が必要です。お電話（' + PHONE + '、毎日8:00〜21:00）でもお受けしています。',
      errors: { rate_limited: '送信が続いています。少し待ってから自動で送ります。', text_too_long: '質問が長すぎます（1000文字まで）。',
        payload_too_large: '質問が長すぎます。', unavailable: 'ただいま回答できません。時間をおいてお試しいただくか、お電話ください。',
        other: '送信できませんでした。もう一度お試しください。' }
    },
    en: {
      launch: 'Ask in chat', title: 'Kawasaki City chat assistant', sub: 'Procedures, offices and opening days',
      close: 'Close the chat', closeShort: 'Close', other: '日本語', otherLabel: '日本語に切り替える', big: 'Larger text',
      q: 'Your question', send: 'Send', hint: 'Enter sends, Shift+Enter adds a line',
      you: 'You', bot: 'Assistant', note: 'Notice', log: 'Conversation', op: 'Operator',
      privacy: 'Please do not type personal data such as your name, address, phone number or My Number.',
      stored: 'What is recorded',
      storedText: 'Your question (with anything that looks like personal data masked), the kind of answer, the ward, your rating and comment, and the time are recorded to improve answers and to analyse citizens\' questions. The conversation disappears from the screen when you close this tab.',
      welcome: 'Hello. Ask about Kawasaki City procedures, offices and opening days. Answers come from the city\'s Japanese information and are shown in Japanese.',
      examples: ['住民票の写しはどこで取れますか', '子どもが生まれたときの手続き', '区役所の開庁時間は', 'オペレーターと話したい'],
      source: 'Source', dept: 'Department', reviewed: 'Checked on', check: 'Checklist', related: 'Related questions',
      choose: 'Choices', fbQ: 'Was this answer helpful?', yes: 'Helpful', no: 'Not helpful',
      fbThanks: 'Thank you for your rating.', comment: 'Comment (optional, no personal data)',
      fbSend: 'Send comment', fbDone: 'Thank you for your comment.', ward: 'Your ward',
      connecting: 'Connecting…', online: 'Connected', offline: 'Connection lost. Reconnecting…',
      http: 'Using a simple connection', hoursText: 'every day 8:00–21:00', pending: 'Waiting to send (sent when the connection is back)', call: 'Call',
      hours: 'Hours', cancel: 'Leave the queue', newWin: '(opens in a new window)', exampleLabel: 'Example questions',
      noLive: 'Chatting with an operator needs a live connection. You can also call ' + PHONE + ' (every day 8:00–21:00).',
      errors: { rate_limited: 'Too many messages; sending again in a moment.', text_too_long: 'The question is too long (1000 characters at most).',
        payload_too_large: 'The question is too long.', unavailable: 'The service cannot answer right now; please try later or call us.',
        other: 'Could not send. Please try again.' }
    }
  };

  // Japanese sans-serif faces of the common systems, then the generic family (never a monospaced CJK fallback)
  var FONTS = '"Hiragino Sans","Hiragino Kaku Gothic ProN","Noto Sans JP","Noto Sans CJK JP","Yu Gothic UI","Yu Gothic",' +
    'Meiryo,"BIZ UDPGothic",system-ui,sans-serif';
  var CSS = [
    ':host{all:initial}',
    '.root{font-family:' + FONTS + ';font-size:max(1rem,15px);line-height:1.7;color:#1a1a1a}',
    '.root.big{font-size:max(1.3rem,19px)}',
    '*{box-sizing:border-box}',
    'button,textarea,input{font:inherit;color:inherit}',
    'button{cursor:pointer;min-height:44px;border-radius:.5em;border:2px solid #0a4a8f;background:#fff;color:#0a4a8f;padding:.3em .8em}',
    'button:hover{background:#e6effa}',
    ':focus-visible{outline:3px solid #ffbf00;outline-offset:2px;box-shadow:0 0 0 5px #000}',
    '.launch{position:fixed;right:max(16px,env(safe-area-inset-right));bottom:max(16px,env(safe-area-inset-bottom));z-index:2147483000;display:flex;gap:.5em;align-items:center;background:#0a4a8f;color:#fff;border-color:#fff;border-radius:2em;padding:.6em 1.2em;font-weight:bold;box-shadow:0 2px 10px rgba(0,0,0,.35)}',
    '.launch:hover{background:#083a70}',
    '.launch[hidden]{display:none}',
    '.launch svg{width:1.4em;height:1.4em;fill:currentColor}',
    '.panel{position:fixed;right:16px;bottom:16px;z-index:2147483001;width:min(440px,calc(100vw - 32px));height:min(900px,calc(100vh - 32px));display:flex;flex-direction:column;background:#f4f6f9;border:1px solid #5a6472;border-radius:.8em;box-shadow:0 6px 30px rgba(0,0,0,.3);overflow:hidden}',
    '.panel[hidden]{display:none}',
    'header{background:#0a4a8f;color:#fff;padding:.4em .6em .5em .8em}',
    '.hd{display:flex;align-items:center;gap:.4em}',
    'h2{font-size:1.1em;margin:0;flex:1}',
    'h2:focus{outline:none}',
    '.tools{display:flex;flex-wrap:wrap;align-items:center;gap:.4em}',
    '.sub{margin:0;font-size:.85em;flex:1 1 12em}',
    'header button{background:transparent;color:#fff;border-color:#fff;font-size:.85em;padding:.1em .6em}',
    'header button:hover{background:#083a70}',
    'header button[aria-pressed=true]{background:#fff;color:#0a4a8f}',
    '.x{white-space:nowrap}',
    '.bar{display:flex;flex-wrap:wrap;gap:.2em 1em;padding:.3em .8em;background:#fff;border-bottom:1px solid #c5ccd6;font-size:.85em}',
    '.st::before{content:"";display:inline-block;width:.7em;height:.7em;border-radius:50%;margin-right:.35em;background:#1f7a3a;border:1px solid #1a1a1a}',
    '.st[data-s=offline]::before,.st[data-s=connecting]::before{background:#fff;border-style:dashed}',
    '.privacy{padding:.3em .8em;background:#fff8e1;border-bottom:1px solid #c5ccd6;font-size:.8em;line-height:1.5}',
    '.privacy p{margin:0}',
    'summary{cursor:pointer;text-decoration:underline;padding:.2em 0}',
    '.log{flex:1;overflow-y:auto;padding:.8em;display:flex;flex-direction:column;gap:.8em;overscroll-behavior:contain}',
    '.msg{max-width:94%}',
    '.msg.u{align-self:flex-end}',
    '.who{margin:0 0 .1em;font-size:.8em;font-weight:bold;color:#3d4652}',
    '.u .who{text-align:right}',
    '.bubble{background:#fff;border:1px solid #6b7685;border-radius:.6em;padding:.5em .8em;white-space:pre-line;overflow-wrap:anywhere}',
    '.u .bubble{background:#e6effa;border-color:#0a4a8f}',
    '.s .bubble{background:#fff8e1;border-color:#8a6d00}',
    '.o .bubble{background:#eaf6ec;border-color:#1f7a3a}',
    '.pending{font-size:.8em;color:#3d4652;margin:.2em 0 0;text-align:right}',
    'h3{font-size:1em;margin:0 0 .3em}',
    '.meta{margin:.5em 0 0;padding-top:.4em;border-top:1px dashed #6b7685;font-size:.85em;display:grid;grid-template-columns:auto 1fr;gap:0 .6em;white-space:normal}',
    '.meta dt{font-weight:bold}.meta dd{margin:0}',
    'a{color:#0a4a8f;text-decoration:underline}',
    '.check{list-style:none;margin:.5em 0 0;padding:0;white-space:normal}',
    '.check li{display:flex;gap:.5em;align-items:flex-start;padding:.2em 0}',
    '.check input{width:1.3em;height:1.3em;margin-top:.25em;flex:none}',
    '.check input:checked+label{text-decoration:line-through}',
    '.chips{display:flex;flex-wrap:wrap;gap:.4em;margin-top:.4em}',
    '.chips button{font-size:.9em;text-align:left}',
    '.fb{margin-top:.4em;font-size:.9em}',
    '.fb p{margin:.2em 0}',
    '.fb button[aria-pressed=true]{background:#0a4a8f;color:#fff}',
    '.fb button[aria-pressed=true]::before{content:"✓ "}',
    '.fb textarea{width:100%;min-height:3.2em;border:2px solid #5a6472;border-radius:.4em;padding:.3em}',
    '.fb label{display:block;margin-top:.3em}',
    'form{display:flex;flex-wrap:wrap;gap:.4em;padding:.6em .8em calc(.6em + env(safe-area-inset-bottom));background:#fff;border-top:1px solid #c5ccd6}',
    'form label{flex:1 1 45%;font-weight:bold;font-size:.9em}',
    'form textarea{flex:1 1 12em;min-height:2.9em;max-height:8em;resize:vertical;border:2px solid #5a6472;border-radius:.5em;padding:.4em;font-size:max(1em,16px)}',
    '.go{background:#0a4a8f;color:#fff;font-weight:bold}',
    '.go:hover{background:#083a70}',
    // the label and the hint share the first line; the box and the button take the second
    '.hint{order:-1;flex:1 1 45%;margin:0;font-size:.8em;color:#3d4652;text-align:right;align-self:flex-end}',
    'form label{order:-2}',
    '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
    '@media (max-width:520px){.panel{inset:0;width:100%;height:100%;max-height:100dvh;border-radius:0;border:0}.sub{display:none}.tools{justify-content:flex-end}}',
    // a mouse: the header's buttons may be smaller, so that the conversation gets the height
    '@media (pointer:fine){header button{min-height:32px}.privacy{padding:.2em .8em}}',
    '@media (forced-colors:active){.st::before{forced-color-adjust:none}}'
  ].join('\n');

  // -- state (sessionStorage: survives reloads and server restarts in this tab) ----------------------
  var S = load();
  S.lang = S.lang || (ds.lang === 'en' ? 'en' : 'ja');
  if (!S.ward && WARDS.indexOf(ds.ward) >= 0) S.ward = ds.ward;
  function load() {
    try { var s = JSON.parse(sessionStorage.getItem(KEY)); if (s && s.items) return s; } catch (e) { /* private mode */ }
    return { items: [], fb: {}, ck: {}, n: 0 };
  }
  function save() {
    if (S.items.length > 80) S.items = S.items.slice(-80);
    var skip = { node: 1, timer: 1, inflight: 1 };
    try { sessionStorage.setItem(KEY, JSON.stringify(S, function (k, v) { return skip[k] ? undefined : v; })); } catch (e) { /* quota or private mode */ }
  }
  function t() { return T[S.lang]; }

  // -- DOM helpers -----------------------------------------------------------------------------------
  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === 'text') n.textContent = attrs[k];
      else if (k === 'on') n.addEventListener('click', attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) n.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) n.appendChild(c); });
    return n;
  }
  function safeUrl(u) {
    try { var x = new URL(u); return /^https?:$/.test(x.protocol) ? x.href : null; } catch (e) { return null; }
  }
  function fmtDate(d) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(d || '');
    return m && S.lang === 'ja' ? m[1] + '年' + (+m[2]) + '月' + (+m[3]) + '日' : (d || '');
  }
  function phoneLink(label) {
    return el('a', { href: 'tel:' + PHONE.replace(/-/g, ''), text: label || PHONE });
  }

  // -- build -----------------------------------------------------------------------------------------
  var host = el('div', { id: 'kawasaki-chat' });
  var shadow = host.attachShadow({ mode: 'open' });
  var root = el('aside', { class: 'root' });
  var launch = el('button', { class: 'launch', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'kc-panel' });
  var NS = 'http://www.w3.org/2000/svg', svg = document.createElementNS(NS, 'svg'), path = document.createElementNS(NS, 'path');
  svg.setAttribute('viewBox', '0 0 24 24'); svg.setAttribute('aria-hidden', 'true'); svg.setAttribute('focusable', 'false');
  path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z');
  launch.appendChild(svg).appendChild(path);
  var launchText = launch.appendChild(el('span'));
  var title = el('h2', { id: 'kc-title', tabindex: '-1' });
  var sub = el('p', { class: 'sub' });
  var langBtn = el('button', { type: 'button', on: function () { setLang(S.lang === 'ja' ? 'en' : 'ja'); } });
  var bigBtn = el('button', { type: 'button', 'aria-pressed': 'false', on: function () { S.big = !S.big; save(); paint(); } });
  var closeText = el('span');
  var closeBtn = el('button', { type: 'button', class: 'x', on: function () { toggle(false); } }, [el('span', { 'aria-hidden': 'true', text: '× ' }), closeText]);
  var status = el('span', { class: 'st', role: 'status' });
  var wardOut = el('span');
  var privacy = el('p');
  var summary = el('summary');
  var storedText = el('p');
  var log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', tabindex: '0' });
  var qLabel = el('label', { for: 'kc-q' });
  var input = el('textarea', { id: 'kc-q', rows: '2', maxlength: '1000', 'aria-describedby': 'kc-hint', autocomplete: 'off' });
  var sendBtn = el('button', { type: 'submit', class: 'go' });
  var hint = el('p', { class: 'hint', id: 'kc-hint' });
  var form = el('form', {}, [qLabel, input, sendBtn, hint]);
  var panel = el('section', { class: 'panel', id: 'kc-panel', role: 'dialog', 'aria-labelledby': 'kc-title', hidden: '' }, [
    el('header', {}, [el('div', { class: 'hd' }, [title, closeBtn]), el('div', { class: 'tools' }, [sub, langBtn, bigBtn])]),
    el('div', { class: 'bar' }, [status, wardOut]),
    el('div', { class: 'privacy' }, [privacy, el('details', {}, [summary, storedText])]),
    log, form
  ]);
  root.appendChild(launch);
  root.appendChild(panel);
  shadow.appendChild(el('style', { text: CSS }));
  shadow.appendChild(root);

  function paint() {
    var L = t();
    root.classList.toggle('big', !!S.big);
    root.setAttribute('aria-label', L.title);
    panel.setAttribute('lang', S.lang);
    launch.setAttribute('lang', S.lang);
    launchText.textContent = L.launch;
    title.textContent = L.title;
    sub.textContent = L.sub;
    langBtn.textContent = L.other;
    langBtn.setAttribute('lang', S.lang === 'ja' ? 'en' : 'ja');
    langBtn.setAttribute('aria-label', L.otherLabel);
    bigBtn.textContent = L.big;
    bigBtn.setAttribute('aria-pressed', String(!!S.big));
    closeBtn.setAttribute('aria-label', L.close);
    closeText.textContent = L.closeShort;
    log.setAttribute('aria-label', L.log);
    qLabel.textContent = L.q;
    sendBtn.textContent = L.send;
    hint.textContent = L.hint;
    privacy.textContent = L.privacy;
    summary.textContent = L.stored;
    storedText.textContent = L.storedText;
    wardOut.textContent = S.ward ? L.ward + '：' + S.ward : '';
    showStatus();
  }

  // -- messages --------------------------------------------------------------------------------------
  // A reply (the bot's, an operator's, a notice) is scrolled to the top of the message area, so that it is read
  // from its start; the citizen's own message scrolls to the bottom (the reply will follow it).
  function push(item) {
    S.items.push(item); save();
    var node = render(item);
    log.appendChild(node);
    if (item.t === 'u') scroll(); else reveal(node);
    return item;
  }
  function scroll() {
    var last = log.lastElementChild;
    if (last && !last.classList.contains('u')) reveal(last); else log.scrollTop = log.scrollHeight;
  }
  function reveal(node) {
    var offset = node.getBoundingClientRect().top - log.getBoundingClientRect().top;
    log.scrollTop = Math.max(0, log.scrollTop + offset - 8);
  }
  function rerender() {
    log.setAttribute('aria-live', 'off');
    log.textContent = '';
    if (!S.items.length) S.items.push({ t: 'w' });
    S.items.forEach(function (it) { log.appendChild(render(it)); });
    scroll();
    setTimeout(function () { log.setAttribute('aria-live', 'polite'); }, 50);
  }
  function wrap(cls, who, kids) {
    return el('div', { class: 'msg ' + cls }, [el('p', { class: 'who', text: who })].concat(kids));
  }
  // pickOf: the inquiry whose candidates these buttons offer (a pick teaches the assistant a new phrasing)
  function chips(label, texts, cls, pickOf) {
    if (!texts || !texts.length) return null;
    return el('div', { class: 'chips ' + (cls || ''), role: 'group', 'aria-label': label }, texts.map(function (x) {
      return el('button', { type: 'button', lang: 'ja', text: x, on: function () { ask(x, pickOf); } });
    }));
  }
  function render(it) {
    var L = t();
    if (it.t === 'w') return wrap('b', L.bot, [el('div', { class: 'bubble', text: L.welcome }), chips(L.exampleLabel, L.examples)]);
    if (it.t === 'u') {
      var kids = [el('div', { class: 'bubble', lang: 'ja', text: it.text })];
      if (it.pending) kids.push(el('p', { class: 'pending', text: L.pending }));
      return (it.node = wrap('u', L.you, kids));
    }
    if (it.t === 'o') return wrap('o', L.op, [el('div', { class: 'bubble', lang: 'ja', text: it.text })]);
    if (it.t === 's') {
      var b = el('div', { class: 'bubble', text: it.text || L[it.k] || (L.errors[it.k] || L.errors.other) });
      var ja = S.lang === 'ja';
      if (it.phone) b.appendChild(el('p', {}, [el('span', { text: L.call + (ja ? '：' : ': ') }), phoneLink(),
        el('span', { text: (ja ? '（' : ' (') + L.hours + (ja ? '：' : ': ') + (it.hours || '') + (ja ? '）' : ')') })]));
      if (it.cancel && S.queued) b.appendChild(el('p', {}, [el('button', { type: 'button', text: L.cancel, on: cancelHandoff })]));
      return wrap('s', L.note, [b]);
    }
    var d = it.d, a = d.answer, bubble = el('div', { class: 'bubble', lang: d.lang === 'en' ? 'en' : 'ja' });
    if (a) {
      bubble.appendChild(el('h3', { text: a.title }));
      var list = a.checklist || [], text = a.text || '';
      if (list.length) text = text.split('\n').filter(function (line) { return list.indexOf(line.trim()) < 0; }).join('\n').trim();
      bubble.appendChild(el('div', { text: text }));
      if (list.length) bubble.appendChild(checklist(d.inquiry_id, list));
      var href = safeUrl(a.source_url), meta = el('dl', { class: 'meta', lang: S.lang });
      meta.appendChild(el('dt', { text: L.source }));
      meta.appendChild(el('dd', {}, [href ? el('a', { href: href, target: '_blank', rel: 'noopener noreferrer' }, [
        el('span', { text: a.title, lang: 'ja' }), el('span', { class: 'sr', text: L.newWin })]) : el('span', { text: a.source_url || '' })]));
      if (a.department) { meta.appendChild(el('dt', { text: L.dept })); meta.appendChild(el('dd', { text: a.department, lang: 'ja' })); }
      if (a.reviewed) { meta.appendChild(el('dt', { text: L.reviewed })); meta.appendChild(el('dd', { text: fmtDate(a.reviewed) })); }
      bubble.appendChild(meta);
    } else {
      bubble.textContent = d.message || '';
    }
    var out = [bubble];
    if (d.clarify && d.clarify.options) out.push(chips(L.choose, d.clarify.options, '', d.inquiry_id));
    if (d.follow_ups && d.follow_ups.length) out.push(chips(L.related, d.follow_ups));
    if (d.kind === 'answer') out.push(feedback(d.inquiry_id));
    return wrap('b', L.bot, out);
  }
  function checklist(iid, items) {
    var ck = S.ck[iid] = S.ck[iid] || [];
    return el('div', {}, [el('p', { class: 'who', text: t().check, lang: S.lang }), el('ul', { class: 'check' }, items.map(function (x, i) {
      var id = 'kc-' + iid + '-' + i;
      var box = el('input', { type: 'checkbox', id: id });
      box.checked = !!ck[i];
      box.addEventListener('change', function () { ck[i] = box.checked; save(); });
      return el('li', {}, [box, el('label', { for: id, text: x })]);
    }))]);
  }
  // Rating is sent at once; an optional comment follows as a second feedback row for the same inquiry.
  function feedback(iid) {
    var L = t(), st = S.fb[iid] || {}, box = el('div', { class: 'fb', role: 'group', 'aria-label': L.fbQ, lang: S.lang });
    var note = el('p', { role: 'status' }), more = el('div');
    box.appendChild(el('p', { text: L.fbQ, 'aria-hidden': 'true' }));
    var btns = [[true, L.yes], [false, L.no]].map(function (o) {
      return box.appendChild(el('button', { type: 'button', text: o[1], 'data-helpful': String(o[0]), on: function () {
        if (st.h !== undefined) return;
        st.h = o[0]; S.fb[iid] = st; save(); sendFeedback(iid, o[0]); draw();
      } }));
    });
    box.appendChild(note);
    box.appendChild(more);
    function draw() {
      btns.forEach(function (b) {
        b.setAttribute('aria-pressed', String(st.h === (b.dataset.helpful === 'true')));
        if (st.h !== undefined) b.setAttribute('aria-disabled', 'true');
      });
      if (st.h === undefined) return;
      note.textContent = st.c ? L.fbDone : L.fbThanks;
      more.textContent = '';
      if (st.c) return;
      var ta = el('textarea', { id: 'kc-c-' + iid, maxlength: '1000' });
      more.appendChild(el('label', { for: ta.id, text: L.comment }));
      more.appendChild(ta);
      more.appendChild(el('button', { type: 'button', text: L.fbSend, on: function () {
        var c = ta.value.trim(); if (!c) { ta.focus(); return; }
        st.c = 1; save(); sendFeedback(iid, st.h, c); draw(); note.setAttribute('tabindex', '-1'); note.focus(); } }));
    }
    draw();
    return box;
  }

  // -- sending and receiving -------------------------------------------------------------------------
  var ws = null, live = false, tries = 0, everLive = false, timer = null, mode = 'connecting';
  function ask(text, pickOf) {
    text = (text || '').trim();
    if (!text) return;
    var it = push({ t: 'u', text: text, id: 'm' + (++S.n) + '-' + Date.now().toString(36), pending: true,
      pick: pickOf || undefined });
    save();
    deliver(it);
  }
  function pendingItems() { return S.items.filter(function (i) { return i.t === 'u' && i.pending; }); }
  function deliver(it) {
    clearTimeout(it.timer);
    if (live && ws && ws.readyState === 1) {
      ws.send(JSON.stringify({ type: 'ask', text: it.text, id: it.id, session_id: S.sid || undefined, lang: S.lang,
        pick_of: it.pick || undefined }));
      it.timer = setTimeout(function () { if (it.pending) httpAsk(it); }, 15000);
    } else if (mode === 'http' || tries >= 3) {
      httpAsk(it);
    }
    // otherwise: sent from flush() when the socket says welcome
  }
  function flush() { pendingItems().forEach(deliver); }
  function httpAsk(it) {
    if (it.inflight) return;
    it.inflight = true;
    fetch(API + '/api/v1/ask', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: it.text, session_id: S.sid || undefined, ward: S.ward || undefined, lang: S.lang,
        pick_of: it.pick || undefined }) })
      .then(function (r) { return r.json().then(function (b) { return [r.status, b]; }); })
      .then(function (x) {
        it.inflight = false;
        if (x[0] === 200) { if (mode !== 'online') setMode('http'); onAnswer(x[1], it.id, true); }
        else if (x[0] < 500) onError(x[1], it.id); // 5xx: stays pending, sent again on reconnect
      }, function () { it.inflight = false; });
  }
  function settle(id) {
    var it = S.items.filter(function (i) { return i.id === id; })[0];
    if (!it || !it.pending) return null;
    it.pending = false;
    clearTimeout(it.timer);
    var p = it.node && it.node.querySelector('.pending');
    if (p) p.remove();
    return it;
  }
  function onAnswer(d, replyTo, viaHttp) {
    if (replyTo && !settle(replyTo)) return; // answered already (by the other transport)
    if (d.session_id) S.sid = d.session_id;
    if (d.ward && d.ward !== S.ward) { S.ward = d.ward; paint(); }
    if (d.kind === 'handoff') {
      if (viaHttp) push({ t: 's', text: t().noLive, phone: 1, hours: t().hoursText });
      save();
      return; // the socket sends a handoff frame
    }
    push({ t: 'a', d: d });
  }
  function onError(m, replyTo) {
    var code = (m && m.error && m.error.code) || 'other';
    var it = S.items.filter(function (i) { return i.id === replyTo; })[0];
    if (code === 'rate_limited' && it && it.pending) {
      setTimeout(function () { deliver(it); }, Math.max(1, m.retry_after || 2) * 1000);
      push({ t: 's', k: code });
      return;
    }
    if (replyTo) settle(replyTo);
    push({ t: 's', k: code });
  }
  // While an operator has the chat, the citizen's messages go to them; theirs arrive here (again after a reconnect).
  function onOperator(m) {
    if (m.id <= (S.lastOp || 0)) return;
    S.lastOp = m.id;
    push({ t: 'o', text: m.text });
  }
  function onHandoff(m) {
    S.queued = !!m.queued;
    push({ t: 's', text: m.message, phone: 1, hours: (m.contact && m.contact.hours) || '', cancel: m.queued ? 1 : 0 });
  }
  function onFrame(m) {
    if (m.type === 'welcome') {
      live = everLive = true; tries = 0;
      S.sid = m.session_id;
      if (m.ward && m.ward !== S.ward) S.ward = m.ward;
      S.queued = !!(m.handoff && m.handoff.queued);
      save(); setMode('online'); paint(); flush();
    } else if (m.type === 'answer') onAnswer(m, m.reply_to);
    else if (m.type === 'handoff') onHandoff(m);
    else if (m.type === 'operator_message') onOperator(m);
    else if (m.type === 'received') settle(m.reply_to); // the operator has it (not the bot)
    else if (m.type === 'error') onError(m, m.reply_to);
  }
  function send(obj) { if (ws && ws.readyState === 1) { ws.send(JSON.stringify(obj)); return true; } return false; }
  function sendFeedback(iid, helpful, comment) {
    var body = { inquiry_id: iid, helpful: helpful, comment: comment || undefined };
    if (live && send(Object.assign({ type: 'feedback' }, body))) return;
    fetch(API + '/api/v1/feedback', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      .catch(function () { /* best effort */ });
  }
  function cancelHandoff() { send({ type: 'cancel_handoff' }); S.queued = false; save(); }

  function connect() {
    clearTimeout(timer);
    if (ws) return;
    if (!window.WebSocket) { setMode('http'); flush(); return; }
    try { ws = new WebSocket(WS_URL); } catch (e) { ws = null; setMode('http'); flush(); return; }
    ws.onopen = function () {
      send({ type: 'hello', session_id: S.sid || undefined, ward: S.ward || undefined, lang: S.lang, last_message_id: S.lastOp || 0 });
    };
    ws.onmessage = function (e) { var m; try { m = JSON.parse(e.data); } catch (x) { return; } onFrame(m); };
    ws.onclose = function (e) {
      ws = null; live = false; tries++;
      if (e.code === 1008) { setMode('http'); return; }
      setMode(everLive ? 'offline' : tries >= 3 ? 'http' : 'connecting');
      if (tries >= 3) flush(); // plain HTTP meanwhile
      timer = setTimeout(connect, Math.min(5000, 250 * Math.pow(2, tries)) * (0.75 + Math.random() / 2));
    };
  }
  function setMode(m) { mode = m; showStatus(); }
  function showStatus() { status.dataset.s = mode; status.textContent = t()[mode]; }
  function setLang(l) { S.lang = l; save(); paint(); rerender(); send({ type: 'hello', session_id: S.sid, lang: l }); langBtn.focus(); }

  // -- open, close, keys -----------------------------------------------------------------------------
  function toggle(open, quiet) {
    S.open = open; save();
    panel.hidden = !open;
    launch.hidden = open;
    launch.setAttribute('aria-expanded', String(open));
    // On touch screens focus the title, not the box: the on-screen keyboard would cover the conversation.
    if (open) { connect(); scroll(); if (!quiet) (matchMedia('(pointer:coarse)').matches ? title : input).focus(); }
    else { launch.hidden = false; if (!quiet) launch.focus(); }
  }
  launch.addEventListener('click', function () { toggle(panel.hidden); });
  panel.addEventListener('keydown', function (e) { if (e.key === 'Escape') { e.preventDefault(); toggle(false); } });
  var composing = false;
  input.addEventListener('compositionstart', function () { composing = true; });
  input.addEventListener('compositionend', function () { composing = false; });
  input.addEventListener('keydown', function (e) {
    if (e.key !== 'Enter' || e.shiftKey) return;
    // Enter that confirms an IME conversion (Japanese input) must not send.
    if (e.isComposing || e.keyCode === 229 || composing) return;
    e.preventDefault();
    form.requestSubmit ? form.requestSubmit() : submit();
  });
  function submit(e) { if (e) e.preventDefault(); var v = input.value; input.value = ''; ask(v); input.focus(); }
  form.addEventListener('submit', submit);
  document.addEventListener('click', function (e) {
    var n = e.target && e.target.closest && e.target.closest('[data-chat-open]');
    if (n) { e.preventDefault(); toggle(true); }
  });

  function start() {
    document.body.appendChild(host);
    paint();
    rerender();
    if (S.open || (S.open === undefined && ds.open === 'true')) toggle(true, true); // never steal focus on load
  }
  window.addEventListener('online', function () { if (!ws && S.open) connect(); });
  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
  window.KawasakiChat = { open: function () { toggle(true); }, close: function () { toggle(false); }, ask: ask };
})();
