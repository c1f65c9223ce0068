// The knowledge editor (/editor/): plain JS over the editor API (contact/web/editor.py); no build step.
// Sign-in: GET /api/v1/me gives the CSRF token (sent as X-CSRF-Token on writes); 401 → /login?next=/editor/.
// Keys: "/" focuses the search, Ctrl+Enter previews, Ctrl+S saves; the tabs move with the arrow keys.
(function () {
  "use strict";
  var KIND_NAMES = { faqs: "FAQ", procedures: "手続き", offices: "庁舎", windows: "窓口", life_events: "ライフイベント" };
  var FLAG_NAMES = { stale: "情報が古い", secondary: "二次情報", never_matched: "未使用", near_fallbacks: "回答できず付近", edited: "編集済み" };
  var KINDS_OF_ANSWER = { answer: "回答", clarify: "聞き返し", fallback: "回答できず", handoff: "有人対応", smalltalk: "あいさつ等" };
  // Every field of every kind (knowledge/schema.py): [path, label, type]; dotted paths are nested mappings.
  var SOURCE = [["source_url", "出典URL", "url"], ["source_date", "出典の日付", "date"], ["reviewed", "確認日", "date"],
    ["certainty", "確かさ", "certainty"], ["unverified", "未確認の項目（1行に1つ）", "lines"],
    ["en.title", "英語の見出し", "text"], ["en.text", "英語の回答", "textarea"]];
  var FIELDS = {
    faqs: [["question", "質問（見出し）", "text"], ["alternatives", "言い換え（1行に1つ）", "lines"], ["answer", "回答", "long"],
      ["category", "分類", "text"], ["department", "担当部署", "text"], ["related", "関連項目のID（1行に1つ）", "lines"],
      ["notes", "編集メモ（市民には表示されません）", "textarea"]],
    procedures: [["name", "手続きの名前", "text"], ["category", "分類", "text"], ["department", "担当部署", "text"],
      ["aliases", "別名（1行に1つ）", "lines"], ["sample_questions", "質問の例（1行に1つ）", "lines"], ["summary", "概要", "long"],
      ["who", "届出できる人", "textarea"], ["bring", "持ち物（1行に1つ）", "lines"], ["fee.text", "手数料（表示）", "text"],
      ["fee.yen", "手数料（円）", "int"], ["deadline", "期限", "text"], ["windows", "窓口の名前（1行に1つ）", "lines"],
      ["offices", "取り扱う庁舎のID（1行に1つ）", "lines"], ["office_kinds", "取り扱う庁舎の種類（1行に1つ）", "lines"],
      ["online", "オンライン手続き", "textarea"], ["convenience_store", "コンビニ交付", "bool"], ["saturday", "土曜開庁で受付", "tristate"],
      ["related", "関連項目のID（1行に1つ）", "lines"], ["notes", "編集メモ", "textarea"]],
    offices: [["name", "名前", "text"], ["kind", "種類（区役所・支所 …）", "text"], ["ward", "区", "text"],
      ["aliases", "別名（1行に1つ）", "lines"], ["postal_code", "郵便番号", "text"], ["address", "住所", "text"],
      ["phone", "電話番号", "text"], ["fax", "FAX", "text"], ["phone_note", "電話の補足", "text"],
      ["hours.text", "開庁時間", "textarea"], ["hours.profile", "開庁時間のプロファイルID", "text"], ["access", "交通", "textarea"],
      ["stations", "最寄り駅（1行に1つ）", "lines"], ["services", "取り扱い業務", "textarea"],
      ["procedures", "できる手続きのID（1行に1つ）", "lines"], ["not_procedures", "できない手続きのID（1行に1つ）", "lines"],
      ["sample_questions", "質問の例（1行に1つ）", "lines"], ["notes", "編集メモ", "textarea"]],
    windows: [["office", "庁舎のID", "text"], ["name", "窓口の名前", "text"], ["floor", "階", "text"], ["counter", "番号・カウンター", "text"],
      ["phone", "電話番号", "text"], ["handles", "取り扱い", "textarea"], ["procedures", "手続きのID（1行に1つ）", "lines"],
      ["saturday", "土曜開庁", "tristate"], ["notes", "編集メモ", "textarea"]],
    life_events: [["name", "名前", "text"], ["category", "分類", "text"], ["department", "担当部署", "text"],
      ["aliases", "別名（1行に1つ）", "lines"], ["sample_questions", "質問の例（1行に1つ）", "lines"], ["summary", "概要", "long"],
      ["steps", "手続きの順番（1行に「手続きID｜補足」）", "steps"], ["notes", "編集メモ", "textarea"]]
  };
  var S = { csrf: null, open: null, tab: "search", drafts: {} };

  var C = window.Console, $ = C.$, el = C.el, clear = C.clear, toLogin = C.toLogin;  // console.js
  function say(text) { $("status").textContent = text; }

  function api(path, options) {
    return C.request(path, Object.assign({ csrf: S.csrf }, options)).then(C.bodyOf);
  }

  // -- the entry form ---------------------------------------------------------------------------------
  function get(doc, path) {
    return path.split(".").reduce(function (o, k) { return o && typeof o === "object" ? o[k] : undefined; }, doc);
  }
  function set(doc, path, value) {
    var keys = path.split("."), last = keys.pop(), o = doc;
    keys.forEach(function (k) { if (!o[k] || typeof o[k] !== "object") o[k] = {}; o = o[k]; });
    if (value === undefined) delete o[last]; else o[last] = value;
    if (keys.length && Object.keys(o).length === 0) delete doc[keys[0]];
  }
  function fieldId(path) { return "f-" + path.replace(/\./g, "-"); }
  function input(path, label, type, value) {
    var id = fieldId(path), node;
    if (type === "lines" || type === "textarea" || type === "long" || type === "steps") {
      node = el("textarea", { id: id, class: type === "long" ? "long" : null });
      if (type === "lines") node.value = (value || []).join("\n");
      else if (type === "steps") node.value = (value || []).map(function (s) { return s.procedure + (s.note ? "｜" + s.note : ""); }).join("\n");
      else node.value = value === undefined || value === null ? "" : String(value);
    } else if (type === "certainty" || type === "tristate" || type === "bool") {
      node = el("select", { id: id });
      var options = type === "certainty" ? [["confirmed", "確認済み（公式の出典）"], ["secondary", "二次情報（案内は窓口へ）"], ["unverified", "未確認"]]
        : type === "bool" ? [["false", "いいえ"], ["true", "はい"]] : [["", "不明"], ["true", "はい"], ["false", "いいえ"]];
      options.forEach(function (o) { node.appendChild(el("option", { value: o[0], text: o[1] })); });
      node.value = value === undefined || value === null ? (type === "certainty" ? "confirmed" : type === "bool" ? "false" : "") : String(value);
    } else {
      node = el("input", { id: id, type: type === "url" ? "url" : type === "date" ? "date" : type === "int" ? "number" : "text" });
      node.value = value === undefined || value === null ? "" : String(value);
    }
    node.dataset.path = path;
    node.dataset.type = type;
    return el("div", { class: "field", "data-field": path }, [el("label", { for: id, text: label }), node,
      el("p", { class: "field-error", id: id + "-error", hidden: "" })]);
  }
  function renderFields(kind, doc) {
    var box = clear($("fields"));
    var main = el("fieldset", { class: "group" }, [el("legend", { text: KIND_NAMES[kind] + "の内容" })]);
    FIELDS[kind].forEach(function (f) { main.appendChild(input(f[0], f[1], f[2], get(doc, f[0]))); });
    var source = el("fieldset", { class: "group" }, [el("legend", { text: "出典と確認" })]);
    SOURCE.forEach(function (f) { source.appendChild(input(f[0], f[1], f[2], get(doc, f[0]))); });
    box.appendChild(main);
    box.appendChild(source);
  }
  function readValue(node) {
    var t = node.dataset.type, v = node.value;
    if (t === "lines") { var lines = v.split("\n").map(function (s) { return s.trim(); }).filter(Boolean); return lines.length ? lines : undefined; }
    if (t === "steps") {
      var steps = v.split("\n").map(function (s) { return s.trim(); }).filter(Boolean).map(function (s) {
        var parts = s.split("｜"); var step = { procedure: parts[0].trim() };
        if (parts[1] && parts[1].trim()) step.note = parts.slice(1).join("｜").trim();
        return step;
      });
      return steps;
    }
    if (t === "bool") return v === "true";
    if (t === "tristate") return v === "" ? undefined : v === "true";
    if (t === "int") return v === "" ? undefined : Number(v);
    if (t === "certainty") return v === "confirmed" ? undefined : v;
    return v.trim() === "" ? undefined : v;
  }
  function currentDocument() {
    var kind = $("e-kind").value;
    var doc = JSON.parse(JSON.stringify((S.open && S.open.document) || {}));
    doc.id = $("e-id").value.trim();
    var required = { question: 1, answer: 1, category: 1, department: 1, name: 1, summary: 1, handles: 1, office: 1,
      source_url: 1, reviewed: 1, kind: 1, "fee.text": 0 };
    Array.prototype.forEach.call($("fields").querySelectorAll("[data-path]"), function (node) {
      var value = readValue(node);
      if (value === undefined && required[node.dataset.path]) value = "";  // left for the loader to report
      set(doc, node.dataset.path, value);
    });
    return { entry_id: doc.id, kind: kind, document: doc };
  }

  function showProblems(problems) {
    Array.prototype.forEach.call(document.querySelectorAll(".field-error"), function (p) { p.hidden = true; p.textContent = ""; });
    Array.prototype.forEach.call(document.querySelectorAll("[aria-invalid]"), function (n) { n.removeAttribute("aria-invalid"); });
    var box = $("problems");
    if (!problems || !problems.length) { box.hidden = true; clear(box); return; }
    clear(box).appendChild(el("p", { text: "検証エラー（contact kb check と同じ内容）：" }));
    var list = el("ul");
    problems.forEach(function (p) {
      list.appendChild(el("li", { text: p }));
      var m = /\] ([\w.]+): (.*)$/.exec(p);
      if (!m) return;
      var path = m[1].replace(/\.\d+(\.|$)/, "$1").replace(/\.$/, "");
      var field = document.querySelector('[data-field="' + path + '"]') || document.querySelector('[data-field="' + path.split(".")[0] + '"]');
      if (!field) return;
      var note = field.querySelector(".field-error"), control = field.querySelector("[data-path]");
      note.hidden = false;
      note.textContent = (note.textContent ? note.textContent + "／" : "") + m[2];
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", note.id);
    });
    box.appendChild(list);
    box.hidden = false;
  }

  function openEntry(entry, isNew) {
    S.open = entry;
    $("empty").hidden = true;
    $("entry").hidden = false;
    $("e-id").value = entry.id || "";
    $("e-id").readOnly = !isNew;
    $("e-kind").value = entry.kind;
    $("e-kind").disabled = !isNew;
    $("entry-title").textContent = isNew ? "新しい" + KIND_NAMES[entry.kind] : (entry.document.question || entry.document.name || entry.id);
    $("entry-meta").textContent = isNew ? "下書き（未保存）" : "版 " + entry.version + (entry.deleted ? "（削除済み）" : "") +
      (entry.file ? "・" + entry.file : "・編集画面で作成") + (entry.author ? "・最終更新 " + entry.author + " " + (entry.at || "").slice(0, 16) : "");
    $("delete").disabled = isNew || entry.deleted;
    $("history").disabled = isNew;
    $("versions").hidden = true;
    clear($("preview-result"));
    showProblems([]);
    renderFields(entry.kind, entry.document || {});
    var q = (entry.document && (entry.document.alternatives || entry.document.sample_questions || [])[0]) || (entry.document && entry.document.question) || "";
    $("p-question").value = q;
    var first = $("fields").querySelector("[data-path]");
    (isNew ? $("e-id") : first).focus();
  }
  function load(id) {
    say("読み込み中…");
    return api("/api/v1/editor/entries/" + encodeURIComponent(id)).then(function (entry) {
      openEntry(entry, false);
      say(entry.id + " を開きました。");
    }).catch(function (e) { if (e.message !== "signed out") say("開けませんでした：" + e.message); });
  }

  function check() {
    var d = currentDocument();
    return api("/api/v1/editor/check", { method: "POST", body: d }).then(function (r) {
      showProblems(r.problems);
      say(r.ok ? "検証に通りました。" : r.problems.length + "件の問題があります。");
      return r.ok;
    });
  }
  function answerBox(label, a, cls) {
    var text = !a.answer ? "（" + (KINDS_OF_ANSWER[a.kind] || a.kind) + "）" + (a.candidates[0] ? " 近い候補：" + a.candidates.map(function (c) { return c.title; }).slice(0, 3).join("、") : "")
      : a.answer.title + "\n" + a.answer.text;
    return el("div", { class: "answer " + (cls || "") }, [el("strong", { text: label + "：" }), " ", text]);
  }
  function renderPreview(box, r) {
    clear(box);
    showProblems(r.problems || []);
    if (r.problems && r.problems.length) { showProblems(r.problems); box.appendChild(el("p", { class: "error", text: "検証エラーのためプレビューできません。" })); return; }
    r.results.forEach(function (x) {
      box.appendChild(el("p", { class: "muted", text: "質問：「" + x.question + "」（" + r.build_seconds + " 秒で組み立て）" }));
      box.appendChild(answerBox("編集後", x.with_edit, "edited"));
      box.appendChild(answerBox("いまの回答", x.live, "live"));
    });
  }
  function preview() {
    var question = $("p-question").value.trim();
    if (!question) { say("プレビューする質問を入れてください。"); $("p-question").focus(); return; }
    var d = currentDocument();
    d.question = question;
    say("プレビューを作っています…");
    api("/api/v1/editor/preview", { method: "POST", body: d }).then(function (r) {
      renderPreview($("preview-result"), r);
      say(r.problems.length ? "検証エラーがあります。" : "プレビューしました（保存はしていません）。");
    }).catch(function (e) { say("プレビューできませんでした：" + e.message); });
  }
  function save() {
    var d = currentDocument();
    if (!d.entry_id) { say("IDを入れてください。"); $("e-id").focus(); return; }
    say("保存しています…");
    api("/api/v1/editor/entries/" + encodeURIComponent(d.entry_id), { method: "PUT",
      body: { kind: d.kind, document: d.document, base_version: S.open.version || 0 } }).then(function (r) {
      say("保存しました（版 " + r.version + "）。" + (r.reload.ok ? "すべてのサーバーに反映しています。" : "反映に失敗しました：" + r.reload.problems.join(" ")));
      return load(d.entry_id).then(function () { say("保存しました（版 " + r.version + "）。回答に反映済みです。"); });
    }).catch(function (e) {
      if (e.status === 422) { showProblems(e.body.error.problems); say("保存できませんでした：検証エラーを直してください。"); }
      else if (e.status === 409) {
        say("ほかの人が先に保存しました（いまは版 " + e.body.error.current_version + "）。内容を確かめてから開き直してください。");
        showProblems(["競合: 版 " + e.body.error.current_version + " が最新です。あなたの変更はまだ保存されていません。"]);
      } else if (e.message !== "signed out") say("保存できませんでした：" + e.message);
    });
  }
  function remove() {
    if (!S.open || !window.confirm(S.open.id + " を削除しますか？（履歴から元に戻せます）")) return;
    api("/api/v1/editor/entries/" + encodeURIComponent(S.open.id) + "?base_version=" + S.open.version, { method: "DELETE" })
      .then(function (r) { say("削除しました（版 " + r.version + "）。"); load(S.open.id); })
      .catch(function (e) { say("削除できませんでした：" + e.message); });
  }
  function history() {
    var id = S.open.id;
    api("/api/v1/editor/entries/" + encodeURIComponent(id) + "/versions").then(function (r) {
      var list = clear($("version-list"));
      r.items.forEach(function (v) {
        var label = "版 " + v.version + "：" + ({ shipped: "出荷時のYAML", create: "作成", edit: "編集", delete: "削除", revert: "差し戻し" }[v.action] || v.action) +
          (v.author ? "（" + v.author + "・" + (v.at || "").slice(0, 16) + "）" : "");
        var item = el("li", {}, [label, " "]);
        if (v.version > 0) item.appendChild(el("button", { type: "button", class: "secondary", text: "差分", on: function () { showDiff(id, v.version - 1, v.version); } }));
        if (v.version !== r.current_version) item.appendChild(el("button", { type: "button", class: "secondary", text: "この版に戻す", on: function () { revert(id, v.version, r.current_version); } }));
        list.appendChild(item);
      });
      $("versions").hidden = false;
      if (r.current_version > 0) showDiff(id, r.current_version - 1, r.current_version);
    }).catch(function (e) { say("履歴を読めませんでした：" + e.message); });
  }
  function showDiff(id, from, to) {
    api("/api/v1/editor/entries/" + encodeURIComponent(id) + "/diff?from=" + from + "&to=" + to).then(function (r) {
      $("diff").textContent = r.unified || "（違いはありません）";
    }).catch(function (e) { $("diff").textContent = "差分を表示できません：" + e.message; });
  }
  function revert(id, to, base) {
    api("/api/v1/editor/entries/" + encodeURIComponent(id) + "/revert", { method: "POST", body: { to_version: to, base_version: base } })
      .then(function (r) { say("版 " + to + " に戻しました（版 " + r.version + "）。"); return load(id).then(history); })
      .catch(function (e) { say("戻せませんでした：" + e.message); });
  }

  // -- finding ------------------------------------------------------------------------------------------
  function search() {
    var p = new URLSearchParams();
    if ($("s-q").value.trim()) p.set("q", $("s-q").value.trim());
    if ($("s-kind").value) p.set("kind", $("s-kind").value);
    if ($("s-category").value.trim()) p.set("category", $("s-category").value.trim());
    Array.prototype.forEach.call(document.querySelectorAll('input[name="filter"]:checked'), function (c) { p.append("filter", c.value); });
    say("探しています…");
    return api("/api/v1/editor/entries?" + p.toString()).then(function (r) {
      $("s-summary").textContent = r.total + "件" + (r.total > r.items.length ? "（先頭 " + r.items.length + "件を表示）" : "");
      var list = clear($("results"));
      r.items.forEach(function (item) {
        var tags = item.flags.map(function (f) { return el("span", { class: "tag" + (f === "stale" || f === "secondary" ? " warn" : ""), text: FLAG_NAMES[f] }); });
        list.appendChild(el("li", {}, [el("button", { type: "button", class: "link", text: item.title, on: function () { load(item.id); } }),
          el("div", { class: "muted" }, [KIND_NAMES[item.kind] + "・" + item.id + (item.version ? "・版 " + item.version : "") + "・回答 " + item.answered + "回 "].concat(tags))]));
      });
      r.deleted.forEach(function (d) {
        list.appendChild(el("li", {}, [el("button", { type: "button", class: "link", text: d.id + "（削除済み）", on: function () { load(d.id); } })]));
      });
      say(r.total ? "" : "見つかりませんでした。");
    }).catch(function (e) { if (e.message !== "signed out") say("探せませんでした：" + e.message); });
  }
  function newFaq(draft) {
    var doc = draft || { id: "", question: "", answer: "", category: "", department: "", source_url: "", reviewed: new Date().toISOString().slice(0, 10) };
    openEntry({ id: doc.id, kind: "faqs", version: 0, document: doc, deleted: false, shipped: false }, true);
    if (draft) {
      var answer = $("f-answer");
      answer.focus();
      say("「" + (draft.question || "") + "」のまとまりからFAQの下書きを作りました。回答と出典を書いて保存してください。");
    }
  }
  function gaps() {
    say("読み込み中…");
    return api("/api/v1/editor/gaps").then(function (r) {
      var list = clear($("gaps"));
      r.clusters.forEach(function (c) {
        list.appendChild(el("li", {}, [
          el("strong", { text: c.label || (c.examples || [])[0] || "" }), " ", el("span", { class: "muted", text: c.size + "件" }),
          el("ul", {}, (c.examples || []).slice(0, 4).map(function (x) { return el("li", { text: x }); })),
          el("div", { class: "muted", text: c.nearest ? "近い項目：" + c.nearest.title + "（" + c.nearest.entry_id + "）" : "近い項目なし" }),
          el("div", { class: "actions" }, [el("button", { type: "button", text: "FAQを書く", "data-cluster": c.label || "", on: function () { newFaq(c.draft); } }),
            c.nearest ? el("button", { type: "button", class: "secondary", text: "近い項目を開く", on: function () { load(c.nearest.entry_id); } }) : null])
        ]));
      });
      say(r.clusters.length ? r.clusters.length + "のまとまりがあります。" : "答えられなかった質問のまとまりはありません。");
    }).catch(function (e) { if (e.message !== "signed out") say("読み込めませんでした：" + e.message); });
  }

  // -- synonyms -----------------------------------------------------------------------------------------
  function synonymEdit(action) {
    return { section: $("syn-section").value, term: $("syn-term").value.trim(), value: $("syn-value").value.trim(), action: action };
  }
  function renderSynonyms(table) {
    var filter = $("syn-filter").value.trim(), list = clear($("syn-table"));
    ["replace", "expand"].forEach(function (section) {
      Object.keys(table[section]).forEach(function (term) {
        var line = term + (section === "replace" ? " ← " : " → ") + table[section][term].join("、");
        if (filter && line.indexOf(filter) < 0) return;
        list.appendChild(el("li", {}, [el("button", { type: "button", class: "link", text: line, on: function () {
          $("syn-section").value = section; $("syn-term").value = term; $("syn-value").focus(); } })]));
      });
    });
  }
  function synonyms() {
    return api("/api/v1/editor/synonyms").then(function (r) { S.synonyms = r.table; renderSynonyms(r.table); say(""); });
  }
  function synonymWrite(action) {
    api("/api/v1/editor/synonyms", { method: "POST", body: synonymEdit(action) }).then(function (r) {
      S.synonyms = r.table; renderSynonyms(r.table);
      say((action === "add" ? "追加" : "削除") + "しました。すべてのサーバーに反映しています。");
    }).catch(function (e) {
      say((e.body && e.body.error.problems ? e.body.error.problems.join(" ") : e.message));
    });
  }
  function synonymPreview() {
    var body = synonymEdit("add");
    body.question = $("syn-question").value.trim();
    if (!body.question) { say("試す質問を入れてください。"); $("syn-question").focus(); return; }
    api("/api/v1/editor/synonyms/preview", { method: "POST", body: body }).then(function (r) { renderPreview($("syn-result"), r); })
      .catch(function (e) { say(e.body && e.body.error.problems ? e.body.error.problems.join(" ") : e.message); });
  }

  // -- phrasing proposals ----------------------------------------------------------------------------
  function phrasings() {
    return api("/api/v1/phrasings?status=pending").then(function (r) {
      var list = clear($("phrasings"));
      r.items.forEach(function (p) {
        list.appendChild(el("li", {}, [el("strong", { text: "「" + p.text + "」" }), " → ", p.entry_title || p.entry_id,
          el("div", { class: "actions" }, [
            el("button", { type: "button", text: "採用して反映", on: function () { decide(p.id, "accepted"); } }),
            el("button", { type: "button", class: "secondary", text: "不採用", on: function () { decide(p.id, "rejected"); } }),
            el("button", { type: "button", class: "secondary", text: "項目を開く", on: function () { load(p.entry_id); } })])]));
      });
      say(r.items.length ? "未判定の提案が " + r.total + "件あります。" : "未判定の提案はありません。");
    });
  }
  function decide(id, status) {
    api("/api/v1/editor/phrasings/" + id, { method: "POST", body: { status: status } }).then(function (r) {
      say(status === "accepted" ? "採用して " + r.phrasing.entry_id + " に加えました（版 " + r.saved.version + "）。" : "不採用にしました。");
      phrasings();
    }).catch(function (e) { say("判定できませんでした：" + e.message); });
  }

  // -- tabs and keys ------------------------------------------------------------------------------------
  var views = { search: search, gaps: gaps, synonyms: synonyms, phrasings: phrasings };
  var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"]'));
  function select(name) {
    S.tab = name;
    tabs.forEach(function (t) {
      var on = t.id === "tab-" + name;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    });
    if (name !== "search") views[name]();
  }
  tabs.forEach(function (t, i) {
    t.addEventListener("click", function () { select(t.id.slice(4)); });
    t.addEventListener("keydown", function (e) {
      var k = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      var target = k ? tabs[(i + k + tabs.length) % tabs.length] : e.key === "Home" ? tabs[0] : e.key === "End" ? tabs[tabs.length - 1] : null;
      if (!target) return;
      e.preventDefault();
      target.focus();
      select(target.id.slice(4));
    });
  });
  document.addEventListener("keydown", function (e) {
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test((document.activeElement || {}).tagName || "");
    if (e.key === "/" && !typing) { e.preventDefault(); select("search"); $("s-q").focus(); }
    else if ((e.ctrlKey || e.metaKey) && e.key === "s" && !$("entry").hidden) { e.preventDefault(); save(); }
    else if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && !$("entry").hidden) { e.preventDefault(); preview(); }
  });
  $("search-form").addEventListener("submit", function (e) { e.preventDefault(); search(); });
  $("new-entry").addEventListener("click", function () { newFaq(null); });
  $("entry").addEventListener("submit", function (e) { e.preventDefault(); save(); });
  $("check").addEventListener("click", function () { check().catch(function (e) { say(e.message); }); });
  $("preview").addEventListener("click", preview);
  $("p-question").addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.ctrlKey) { e.preventDefault(); preview(); } });
  $("delete").addEventListener("click", remove);
  $("history").addEventListener("click", history);
  $("e-kind").addEventListener("change", function () { S.open.kind = $("e-kind").value; renderFields(S.open.kind, currentDocument().document); });
  $("syn-add").addEventListener("click", function () { synonymWrite("add"); });
  $("syn-remove").addEventListener("click", function () { synonymWrite("remove"); });
  $("syn-preview").addEventListener("click", synonymPreview);
  $("syn-filter").addEventListener("input", function () { if (S.synonyms) renderSynonyms(S.synonyms); });
  $("logout").addEventListener("click", function () { api("/api/v1/logout", { method: "POST" }).then(toLogin, toLogin); });

  api("/api/v1/me").then(function (me) {
    if (me.role !== "editor" && me.role !== "admin") { say("この画面は知識ベース編集（editor）の権限が必要です。"); return; }
    S.csrf = me.csrf;
    $("me").textContent = me.name + (me.role === "admin" ? "（管理者）" : "（編集者）");
    var params = new URLSearchParams(location.search);
    if (params.get("entry")) load(params.get("entry"));
    select(params.get("tab") || "search");
    if (!params.get("tab")) search();
  }).catch(function (e) { if (e.message !== "signed out") say("サーバーに接続できません。"); });
})();
