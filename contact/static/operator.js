// Operator console (/operator/): suggestions as the caller talks, one-form inquiry records, and web chats
// taken over from the bot. Plain JS, no build step; text from the server is only ever set with textContent.
// API: GET /api/v1/me (CSRF token), GET /api/v1/operator/directory, GET /api/v1/suggest, POST /api/v1/inquiries,
// WebSocket /api/v1/operator/ws (see contact/operator.py for the frames).
(function () {
  "use strict";

  var C = window.Console, $ = C.$, el = C.el;  // console.js
  var q = $("q"), list = $("suggestions"), detail = $("detail"), form = $("record-form");
  var KINDS = { procedure: "手続き", faq: "FAQ", office: "庁舎", window: "窓口", life_event: "ライフイベント", calendar: "開庁日" };
  var VERDICT = { answer: "回答", clarify: "聞き返し", fallback: "回答なし", handoff: "オペレーター希望", smalltalk: "あいさつ等", operator: "オペレーター記録" };
  var FACTS = { fee: "手数料", who: "対象", bring: "持ち物", deadline: "期限", saturday: "土曜開庁", windows: "窓口",
    online: "オンライン等", phone: "電話", address: "所在地", access: "アクセス", hours: "受付時間", floor: "階",
    counter: "窓口番号", procedures: "取扱手続", summary: "概要", answer: "回答" };
  var WHO = { citizen: "市民", operator: "オペレーター", bot: "AI案内", system: "お知らせ" };
  var FIELDS = {
    channel: ["受付チャネルを選んでください。", null], resolution: ["対応結果を選んでください。", null],
    text: ["問い合わせ内容を入力してください（1000文字まで）。", "r-text"], ward: ["区を選び直してください。", "r-ward"],
    category: ["分類は100文字までです。", "r-category"], forwarded_to: ["転送先を選んでください。", "r-forward"],
    note: ["メモは2000文字までです。", "r-note"], entry_id: ["選んだ回答候補が見つかりません。候補を選び直してください。", "q"]
  };
  var S = { me: null, role: null, csrf: null, items: [], active: -1, picked: null, timer: null, abort: null, seq: 0,
    pickWhenReady: false, context: null, ws: null, tries: 0, waiting: [], claimed: [], listedMine: {}, conv: null, closing: null,
    unread: {} };

  // -- helpers ---------------------------------------------------------------------------------------
  function say(id, text) { $(id).textContent = ""; setTimeout(function () { $(id).textContent = text; }, 30); }
  function hhmm(iso) { return (iso || "").slice(11, 16); }
  function safeUrl(u) {
    try { var x = new URL(u); return /^https?:$/.test(x.protocol) ? x.href : null; } catch (e) { return null; }
  }
  function api(path, options) { return C.request(path, Object.assign({ csrf: S.csrf }, options)); }
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var ta = el("textarea", { class: "sr-only", "aria-hidden": "true", tabindex: "-1" });
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    var ok = document.execCommand("copy");
    ta.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  function option(select, value, label) { select.appendChild(el("option", { value: value, text: label })); }

  // -- start -----------------------------------------------------------------------------------------
  q.focus();
  api("/api/v1/me").then(function (r) {
    if (!r.ok) return;
    S.me = r.body.name; S.role = r.body.role; S.csrf = r.body.csrf;
    $("me").textContent = S.me + (S.role === "admin" ? "（管理者）" : "");
    if (S.role !== "operator" && S.role !== "admin") {
      document.querySelector("main").replaceChildren(el("section", { class: "panel forbidden" }, [
        el("h2", { text: "このページはオペレーター用です" }),
        el("p", { text: "オペレーターの権限を持つアカウントでサインインしてください。" }),
        el("p", {}, [el("a", { href: "/staff/", text: "広聴分析の画面へ" })])]));
      return;
    }
    loadDirectory();
    connect();
  }).catch(function () { /* redirected to the sign-in page */ });

  function loadDirectory() {
    api("/api/v1/operator/directory").then(function (r) {
      if (!r.ok) return;
      var d = r.body;
      d.wards.forEach(function (w) { option($("ctx-ward"), w, w); option($("r-ward"), w, w); });
      d.categories.forEach(function (c) { $("categories").appendChild(el("option", { value: c })); });
      ["r-forward", "close-forward"].forEach(function (id) {
        var select = $(id), groups = {};
        d.targets.forEach(function (t) {
          var key = t.kind === "window" ? (t.ward || "その他") + "の区役所" : "庁舎・センター";
          if (!groups[key]) groups[key] = select.appendChild(el("optgroup", { label: key }));
          groups[key].appendChild(el("option", { value: t.id, text: t.name + (t.phone ? "（" + t.phone + "）" : "") }));
        });
      });
    });
  }

  // -- suggestions -----------------------------------------------------------------------------------
  function schedule(delay) {
    clearTimeout(S.timer);
    S.timer = setTimeout(fetchSuggestions, delay === undefined ? 120 : delay);
  }
  function fetchSuggestions() {
    S.timer = null;
    var text = q.value.trim();
    if (S.abort) S.abort.abort(); // a newer keystroke makes the request in flight stale
    var seq = ++S.seq;
    if (!text) { showSuggestions(null); return; }
    var ctrl = new AbortController();
    S.abort = ctrl;
    var params = new URLSearchParams({ q: text });
    if ($("ctx-ward").value) params.set("ward", $("ctx-ward").value);
    if ($("ctx-date").value) params.set("date", $("ctx-date").value);
    api("/api/v1/suggest?" + params.toString(), { signal: ctrl.signal }).then(function (r) {
      if (seq !== S.seq) return;
      S.abort = null;
      if (!r.ok) { say("s-status", (r.body.error && r.body.error.message) || "候補を取得できませんでした。"); return; }
      showSuggestions(r.body);
      if (S.pickWhenReady) { S.pickWhenReady = false; pick(); }
    }).catch(function (e) { if (e.name !== "AbortError") say("s-status", "候補を取得できませんでした。"); });
  }
  function snippet(text) { text = (text || "").replace(/\s+/g, " "); return text.length > 70 ? text.slice(0, 70) + "…" : text; }
  function showSuggestions(body) {
    S.items = body ? body.suggestions : [];
    S.context = body ? body.context : null;
    S.active = S.items.length ? 0 : -1;
    list.textContent = "";
    S.items.forEach(function (s, i) {
      var li = el("li", { id: "sug-" + i, role: "option", "aria-selected": "false", class: "sug" }, [
        el("span", { class: "s-title", text: s.title }),
        el("span", { class: "s-kind", text: KINDS[s.kind] || s.kind }),
        el("span", { class: "s-snippet", text: snippet(s.answer) })]);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); }); // keep the focus in the box
      li.addEventListener("click", function () { setActive(i); pick(); });
      list.appendChild(li);
    });
    q.setAttribute("aria-expanded", S.items.length ? "true" : "false");
    showContext(S.context);
    if (body) say("s-status", S.items.length ? S.items.length + "件の候補。上下キーで選択、Enterで記録欄に反映。" : "候補はありません。");
    setActive(S.active);
  }
  function showContext(c) {
    var parts = [];
    if (c && c.ward) parts.push("区: " + c.ward + (c.ward_from === "query" ? "（質問の「" + (c.ward_words || c.ward) + "」から）" : "（選択）"));
    if (c && c.date) parts.push("日付: " + c.date + (c.date_from === "query" ? "（質問の「" + c.date_text + "」から）" : "（選択）"));
    var out = $("ctx-used");
    out.textContent = parts.length ? "前提 — " + parts.join("　") : "";
    if (c && c.day) out.appendChild(el("span", { class: "day", text: c.day }));
  }
  function setActive(i) {
    S.active = i;
    Array.prototype.forEach.call(list.children, function (li, n) { li.setAttribute("aria-selected", String(n === i)); });
    if (i >= 0) { q.setAttribute("aria-activedescendant", "sug-" + i); list.children[i].scrollIntoView({ block: "nearest" }); }
    else q.removeAttribute("aria-activedescendant");
    showDetail(S.items[i]);
  }
  function move(step) {
    if (!S.items.length) return;
    setActive((S.active + step + S.items.length) % S.items.length);
  }
  function showDetail(s) {
    detail.textContent = "";
    if (!s) { detail.appendChild(el("p", { class: "muted", text: "候補を選ぶと、回答・持ち物・手数料・転送先がここに出ます。" })); return; }
    detail.appendChild(el("h3", { text: s.title }));
    if (s.certainty !== "confirmed" || s.unverified.length) {
      detail.appendChild(el("p", { class: "warn", text: "要確認の情報を含みます" + (s.unverified.length ? "（" + s.unverified.map(function (f) { return FACTS[f] || f; }).join("、") + "）" : "") + "。断定せず担当窓口をご案内ください。" }));
    }
    detail.appendChild(el("div", { class: "answer", id: "answer-text", text: s.answer }));
    var facts = el("dl", { class: "facts" });
    function fact(label, value) { if (value) { facts.appendChild(el("dt", { text: label })); facts.appendChild(el("dd", { text: value })); } }
    fact("持ち物", s.bring.join("、"));
    fact("手数料", s.fee);
    fact("期限", s.deadline);
    fact("土曜開庁", s.saturday === true ? "第2・第4土曜 8:30〜12:30 も可" : s.saturday === false ? "不可（平日のみ）" : null);
    fact("オンライン等", s.online);
    fact("担当", s.department);
    fact("分類", s.category);
    detail.appendChild(facts);
    if (s.forward.length) {
      var rows = s.forward.map(function (t) {
        // no number in the knowledge base: say so plainly (the note says whom to call instead), never a bare dash
        return el("tr", {}, [el("td", { text: t.name }),
          t.phone ? el("td", { class: "num", text: t.phone }) : el("td", { class: "num warn", text: "未確認" }),
          el("td", { text: [t.phone_note, t.floor, t.counter].filter(Boolean).join(" ") })]);
      });
      detail.appendChild(el("table", { class: "forward" }, [el("caption", { text: "転送先" }),
        el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: "窓口・庁舎" }), el("th", { scope: "col", text: "電話" }),
          el("th", { scope: "col", text: "備考" })])]), el("tbody", {}, rows)]));
    }
    var href = safeUrl(s.source_url), src = el("p", { class: "source" });
    src.appendChild(el("span", { text: "出典: " }));
    src.appendChild(href ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: href }) : el("span", { text: s.source_url || "—" }));
    if (s.reviewed) src.appendChild(el("span", { text: "　情報確認日: " + s.reviewed }));
    detail.appendChild(src);
    detail.appendChild(el("button", { type: "button", class: "secondary", id: "copy", text: "回答をコピー（Ctrl+C）", on: copyAnswer }));
  }
  function copyAnswer() {
    var s = S.items[S.active] || S.picked;
    if (!s) return false;
    copyText(s.answer).then(function () { say("s-status", "回答をコピーしました。"); },
      function () { say("s-status", "コピーできませんでした。回答欄を選択してコピーしてください。"); });
    return true;
  }
  function pick() {
    if (S.timer || S.abort) { S.pickWhenReady = true; if (S.timer) { clearTimeout(S.timer); fetchSuggestions(); } return; }
    var s = S.items[S.active];
    if (!s) return;
    S.picked = s;
    $("r-text").value = q.value.trim();
    $("r-category").value = s.category || "";
    if (S.context && S.context.ward) $("r-ward").value = S.context.ward;
    $("r-forward").value = s.forward.length ? s.forward[0].id : "";
    $("close-forward").value = $("r-forward").value;
    $("r-entry").textContent = "回答候補: " + s.title;
    say("s-status", "「" + s.title + "」を記録欄に反映しました。Ctrl+Enterで保存します。");
  }
  function clearQuery() {
    q.value = "";
    clearTimeout(S.timer); S.timer = null;
    if (S.abort) { S.abort.abort(); S.abort = null; }
    S.seq++;
    showSuggestions(null);
    q.focus();
  }
  q.addEventListener("input", function () { schedule(); });
  $("ctx-ward").addEventListener("change", function () { if (q.value.trim()) schedule(0); });
  $("ctx-date").addEventListener("change", function () { if (q.value.trim()) schedule(0); });
  q.addEventListener("keydown", function (e) {
    if (e.isComposing || e.keyCode === 229) return; // keys that confirm an IME conversion
    if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
    else if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) { e.preventDefault(); pick(); }
    else if (e.key === "Escape") { e.preventDefault(); clearQuery(); }
  });

  // -- records ---------------------------------------------------------------------------------------
  function checked(name) { var n = form.querySelector("input[name=" + name + "]:checked"); return n ? n.value : null; }
  function save() {
    var body = { channel: checked("channel"), resolution: checked("resolution"), text: $("r-text").value.trim() || q.value.trim(),
      ward: $("r-ward").value, category: $("r-category").value.trim(), forwarded_to: $("r-forward").value,
      note: $("r-note").value.trim(), entry_id: S.picked ? S.picked.entry_id : "" };
    if (body.resolution !== "forwarded") delete body.forwarded_to; // a target only for 転送
    Object.keys(body).forEach(function (k) { if (!body[k]) delete body[k]; });
    $("r-save").disabled = true;
    say("r-status", "保存しています…");
    api("/api/v1/inquiries", { method: "POST", body: body }).then(function (r) {
      $("r-save").disabled = false;
      if (r.status === 201) {
        say("r-status", "記録しました（受付番号 " + r.body.id.slice(0, 8) + "）。");
        resetRecord();
        clearQuery();
        return;
      }
      var error = r.body.error || {}, field = /'(\w+)'/.exec(error.message || ""), known = field && FIELDS[field[1]];
      say("r-status", "保存できませんでした: " + (known ? known[0] : error.message || "エラー " + r.status));
      if (known && known[1]) $(known[1]).focus();
    }, function () { $("r-save").disabled = false; say("r-status", "保存できませんでした（サーバーに接続できません）。"); });
  }
  function resetRecord() {
    ["r-text", "r-category", "r-note"].forEach(function (id) { $(id).value = ""; });
    $("r-ward").value = ""; $("r-forward").value = "";
    form.querySelector("input[name=resolution][value=answered]").checked = true;
    S.picked = null;
    $("r-entry").textContent = "回答候補: 未選択";
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); save(); });
  $("r-clear").addEventListener("click", function () { resetRecord(); q.focus(); });

  // -- keys anywhere on the page ---------------------------------------------------------------------
  function nothingSelected() {
    var a = document.activeElement;
    if (a && (a.tagName === "INPUT" || a.tagName === "TEXTAREA") && a.selectionStart !== a.selectionEnd) return false;
    return String(window.getSelection() || "") === "";
  }
  document.addEventListener("keydown", function (e) {
    var inChat = e.target && e.target.closest && e.target.closest("#conv");
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && !inChat) { e.preventDefault(); save(); }
    else if ((e.ctrlKey || e.metaKey) && !e.shiftKey && (e.key === "c" || e.key === "C") && nothingSelected()) {
      if (copyAnswer()) e.preventDefault();
    } else if (e.altKey && e.code === "KeyN") { e.preventDefault(); send({ type: "claim_next" }); }
    else if (e.key === "Escape" && e.target !== q && !inChat && !e.defaultPrevented) { clearQuery(); }
  });
  $("logout").addEventListener("click", function () {
    api("/api/v1/logout", { method: "POST" }).then(function () { location.assign("/login"); }, function () { location.assign("/login"); });
  });

  // -- live chat -------------------------------------------------------------------------------------
  function setConn(stateName, text) { var c = $("conn"); c.dataset.state = stateName; c.textContent = "チャット: " + text; }
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/operator/ws");
    S.ws = ws;
    setConn("connecting", "接続中…");
    ws.onmessage = function (e) { var m; try { m = JSON.parse(e.data); } catch (x) { return; } onFrame(m); };
    ws.onclose = function () {
      S.ws = null; S.tries++;
      setConn("offline", "切断（再接続しています）");
      setTimeout(function () {
        api("/api/v1/me").then(function (r) { if (r.ok) connect(); }, function () { /* signed out */ });
      }, Math.min(10000, 300 * Math.pow(2, S.tries)));
    };
  }
  function send(frame) {
    if (S.ws && S.ws.readyState === 1) { S.ws.send(JSON.stringify(frame)); return true; }
    say("chat-live", "チャットに接続していません。再接続を待ってください。");
    return false;
  }
  function onFrame(m) {
    if (m.type === "welcome") {
      S.tries = 0; setConn("online", "接続済み");
      setQueue(m);
      if (S.conv) send({ type: "history", handoff_id: S.conv });
    } else if (m.type === "queue") {
      setQueue(m);
      if (m.event === "queued") say("chat-live", "新しいチャットが待っています。待機 " + m.waiting.length + " 件。");
      if (m.event === "cancelled" || m.event === "closed" || m.event === "expired") {
        if (m.handoff.id === S.conv && m.event !== "closed") endConv("市民がチャットを離れました。");
      }
    } else if (m.type === "claimed") {
      openConv(m.handoff);
    } else if (m.type === "history") {
      if (m.handoff_id === S.conv) renderHistory(m);
    } else if (m.type === "message") {
      if (m.handoff_id === S.conv) appendMessage(m.message);
      else { S.unread[m.handoff_id] = (S.unread[m.handoff_id] || 0) + 1; renderQueue(); }
      if (m.message.sender === "citizen") say("chat-live", "市民からのメッセージ: " + m.message.text);
    } else if (m.type === "closed") {
      if (m.handoff_id === S.conv) endConv("チャットを終了し、記録しました（受付番号 " + m.inquiry_id.slice(0, 8) + "）。");
    } else if (m.type === "error") {
      var text = (m.error && m.error.message) || "エラーが発生しました。";
      if (m.handoff_id && m.handoff_id === S.closing) S.closing = null;
      say(S.conv ? "conv-status" : "chat-live", text);
    }
  }
  function setQueue(m) { S.waiting = m.waiting; S.claimed = m.claimed; renderQueue(); }
  function label(h) { return h.preview || (h.reason === "fallback" ? "（AI案内で回答できなかった質問）" : "（質問なし）"); }
  function renderQueue() {
    var waiting = $("waiting"), mine = $("mine");
    waiting.textContent = "";
    S.waiting.forEach(function (h) {
      waiting.appendChild(el("li", {}, [
        el("span", { class: "preview", lang: h.lang, text: label(h) }),
        el("span", { class: "meta", text: h.position + "番目・受付 " + hhmm(h.created_at) + (h.lang === "en" ? "・英語" : "") + (h.citizen_online ? "" : "・未接続") }),
        el("button", { type: "button", "aria-label": "対応する: " + label(h), text: "対応する",
          on: function () { send({ type: "claim", handoff_id: h.id }); } })]));
    });
    if (!S.waiting.length) waiting.appendChild(el("li", { class: "muted", text: "待っているチャットはありません。" }));
    $("wait-count").textContent = S.waiting.length + "件";
    mine.textContent = "";
    var others = 0;
    S.claimed.forEach(function (h) {
      if (h.claimed_by !== S.me) { others++; return; }
      S.listedMine[h.id] = true;
      var unread = S.unread[h.id] ? "（新着 " + S.unread[h.id] + "）" : "";
      mine.appendChild(el("li", { class: h.id === S.conv ? "current" : null }, [
        el("span", { class: "preview", lang: h.lang, text: label(h) + unread }),
        el("span", { class: "meta", text: h.citizen_online ? "接続中" : "未接続（再接続したときに届きます）" }),
        el("button", { type: "button", class: "secondary", "aria-label": "開く: " + label(h), text: h.id === S.conv ? "表示中" : "開く",
          on: function () { openConv(h); send({ type: "history", handoff_id: h.id }); } })]));
    });
    if (!mine.children.length) mine.appendChild(el("li", { class: "muted", text: "対応中のチャットはありません。" }));
    if (others) mine.appendChild(el("li", { class: "muted", text: "ほかのオペレーターが対応中: " + others + "件" }));
    // A chat no longer listed as ours has ended elsewhere (another tab, a timeout) — once a queue frame has
    // listed it as ours: a frame built before our claim reached every process (nodes answer in their own
    // time) must not close the chat the claim just opened.
    if (S.conv && S.conv !== S.closing && S.listedMine[S.conv]
        && !S.claimed.some(function (h) { return h.id === S.conv && h.claimed_by === S.me; })) {
      endConv("このチャットは終了しました。");
    }
  }
  function openConv(h) {
    var changed = S.conv !== h.id;
    S.conv = h.id;
    delete S.unread[h.id];
    $("conv").hidden = false;
    $("conv-title").textContent = "チャット: " + label(h);
    if (changed) { $("conv-log").textContent = ""; $("conv-history").textContent = ""; $("conv-status").textContent = ""; }
    renderQueue();
    $("reply").focus();
  }
  function endConv(text) {
    S.conv = null;
    S.closing = null;
    $("conv").hidden = true;
    say("chat-live", text);
    renderQueue();
  }
  function renderHistory(m) {
    var hist = $("conv-history"), log = $("conv-log");
    $("conv-title").textContent = "チャット: " + label(m.handoff);
    hist.textContent = "";
    m.inquiries.forEach(function (i) {
      var li = el("li", {}, [el("p", { class: "q", text: "質問: " + i.text }),
        el("p", { class: "a", text: "AI案内: " + (VERDICT[i.kind] || i.kind) + (i.entry_title ? "「" + i.entry_title + "」" : "") +
          (typeof i.confidence === "number" ? "（確信度 " + Math.round(i.confidence * 100) + "%）" : "") })]);
      if (i.candidates.length) li.appendChild(el("p", { class: "c", text: "候補: " + i.candidates.map(function (c) { return c.title; }).join(" / ") }));
      hist.appendChild(li);
    });
    if (!m.inquiries.length) hist.appendChild(el("li", { class: "muted", text: "AI案内への質問はありません。" }));
    log.textContent = "";
    m.messages.forEach(appendMessage);
  }
  function appendMessage(msg) {
    var who = WHO[msg.sender] || msg.sender;
    if (msg.sender === "operator" && msg.operator) who += "（" + msg.operator + "）";
    var li = el("li", { class: "m " + msg.sender }, [el("span", { class: "who", text: who + " " + hhmm(msg.at) }),
      el("span", { class: "text", text: msg.text })]);
    if (msg.delivered === false) li.appendChild(el("span", { class: "meta", text: "（市民は未接続です。再接続したときに届きます）" }));
    $("conv-log").appendChild(li);
    li.scrollIntoView({ block: "nearest" });
  }
  var composing = false;
  $("reply").addEventListener("compositionstart", function () { composing = true; });
  $("reply").addEventListener("compositionend", function () { composing = false; });
  $("reply").addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229 || composing) return;
    e.preventDefault();
    sendReply();
  });
  function sendReply() {
    var text = $("reply").value.trim();
    if (!text || !S.conv) return;
    if (send({ type: "reply", handoff_id: S.conv, text: text })) $("reply").value = "";
  }
  $("reply-form").addEventListener("submit", function (e) { e.preventDefault(); sendReply(); });
  $("close-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!S.conv) return;
    var frame = { type: "close", handoff_id: S.conv, resolution: $("close-res").value, note: $("close-note").value.trim(),
      forwarded_to: $("close-forward").value, entry_id: S.picked ? S.picked.entry_id : "" };
    if (frame.resolution === "forwarded" && !frame.forwarded_to) { say("conv-status", "転送先を選んでください。"); $("close-forward").focus(); return; }
    if (frame.resolution !== "forwarded") delete frame.forwarded_to;
    Object.keys(frame).forEach(function (k) { if (!frame[k]) delete frame[k]; });
    if (send(frame)) { S.closing = S.conv; $("close-note").value = ""; say("conv-status", "終了しています…"); }
  });
})();
