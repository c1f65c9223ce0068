// The staff dashboard (/staff/): plain JS over the staff API (contact/staff.py); no build step.
// Sign-in: GET /api/v1/me gives the CSRF token (sent as X-CSRF-Token on POSTs); 401 → /login?next=/staff/.
// Every view sends the shared filters; every JSON answer carries voice_types (shown on each tab).
(function () {
  "use strict";
  var WARDS = ["川崎区", "幸区", "中原区", "高津区", "宮前区", "多摩区", "麻生区"];
  var CHANNELS = { web: "Webチャット（自動応答）", phone: "電話", fax: "FAX", mail: "メール", visit: "来庁",
    chat: "チャット（オペレーター）", operator: "オペレーター" };
  var KINDS = { answer: "回答", clarify: "聞き返し", fallback: "回答できず", handoff: "有人対応の希望",
    smalltalk: "あいさつ等", operator: "オペレーター対応" };
  var VOICES = ["問い合わせ", "意見・要望", "苦情", "提案", "感謝"];
  var ORIGINS = { citizen: "市民が候補から選択", operator: "オペレーターが選択" };
  var STATUSES = { pending: "未判定", accepted: "採用", rejected: "不採用" };
  var SVG = "http://www.w3.org/2000/svg";
  var S = { csrf: null, offset: 0, loaded: {}, generation: {}, loading: null, tab: "overview", lastDay: null };

  var C = window.Console, $ = C.$, el = C.el, clear = C.clear, toLogin = C.toLogin;  // console.js
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function n(x) { return (x || 0).toLocaleString("ja-JP"); }
  function jpDay(iso) { return +iso.slice(5, 7) + "月" + +iso.slice(8, 10) + "日"; }
  function pct(x) { return x === null || x === undefined ? "—" : (x * 100).toFixed(1) + "%"; }
  function say(text) { $("status").textContent = text; }

  // A view's requests belong to the load that made them: when a newer load of the same view has begun
  // (a filter changed while the last answer was still on its way), the older answer is dropped instead
  // of drawing over the newer one.
  var STALE = new Error("stale");
  function api(path, options) {
    var owner = S.loading;
    return C.request(path, Object.assign({ csrf: S.csrf }, options)).then(function (res) {
      if (owner && S.generation[owner.name] !== owner.generation) throw STALE;
      return C.bodyOf(res);
    });
  }

  // -- filters ----------------------------------------------------------------------------------------
  function filterParams(extra, withoutDates) {
    var p = new URLSearchParams();
    Array.prototype.forEach.call($("filters").elements, function (f) {
      if (!f.name || !f.value) return;
      if (withoutDates && (f.name === "from" || f.name === "to")) return;
      p.set(f.name, f.value.trim());
    });
    Object.keys(extra || {}).forEach(function (k) { if (extra[k] !== "" && extra[k] !== undefined) p.set(k, extra[k]); });
    return p;
  }
  function url(path, extra, withoutDates) {
    var q = filterParams(extra, withoutDates).toString();
    return path + (q ? "?" + q : "");
  }
  function fillSelect(id, values, labels) {
    values.forEach(function (v) { $(id).appendChild(el("option", { value: v, text: labels ? labels[v] : v })); });
  }
  function voiceLine(counts) {
    if (!counts) return;
    var total = VOICES.reduce(function (s, v) { return s + (counts[v] || 0); }, 0);
    Array.prototype.forEach.call(document.querySelectorAll("[data-voices]"), function (p) {
      clear(p).appendChild(document.createTextNode("声の種類（" + n(total) + "件）："));
      VOICES.forEach(function (v, i) {
        p.appendChild(el("span", {}, [(i ? "／" : "") + v + " ", el("b", { text: n(counts[v]) })]));
      });
    });
  }

  // -- charts (inline SVG) --------------------------------------------------------------------------------
  var EMPTY = "この期間の問い合わせはありません";
  function emptyNote(container, text) {
    clear(container).appendChild(el("p", { class: "muted empty", text: text || EMPTY }));
  }
  // Round axis ticks for counts: 0 and at most five equal steps of 1, 2, 2.5 or 5 × 10^n (never fractions), the
  // last at or above the peak; the same rule as contact/analysis/svg.py nice_ticks. No ticks for an empty chart.
  function niceTicks(peak) {
    if (!(peak > 0)) return [];
    var mag = Math.pow(10, Math.floor(Math.log10(peak / 5))), step = null;
    [1, 2, 2.5, 5, 10].some(function (m) {
      var s = m * mag;
      if (s < 1 || Math.round(s) !== s || Math.ceil(peak / s) > 5) return false;
      step = s; return true;
    });
    if (step === null) step = Math.max(1, 10 * mag);
    var ticks = [];
    for (var v = 0; v < peak + step; v += step) ticks.push(v);
    return ticks;
  }
  function hbars(container, items, label) {
    if (!items.some(function (i) { return i.value > 0; })) { emptyNote(container); return; }
    var row = 22, left = 150, width = 460, height = 8 + row * Math.max(items.length, 1);
    var peak = Math.max.apply(null, items.map(function (i) { return i.value; }).concat([1]));
    var root = svg("svg", { viewBox: "0 0 " + width + " " + height, width: width, height: height, role: "img", "aria-label": label });
    root.appendChild(svg("title", {}, label + "：" + items.map(function (i) { return i.label + " " + n(i.value) + "件"; }).join("、")));
    items.forEach(function (item, k) {
      var y = 4 + k * row, w = Math.max(item.value ? 1 : 0, (width - left - 60) * item.value / peak);
      root.appendChild(svg("text", { x: left - 6, y: y + 15, "text-anchor": "end" }, item.label.length > 12 ? item.label.slice(0, 11) + "…" : item.label));
      root.appendChild(svg("rect", { x: left, y: y + 3, width: w.toFixed(1), height: row - 7, class: "bar" }));
      root.appendChild(svg("text", { x: (left + w + 5).toFixed(1), y: y + 15 }, n(item.value)));
    });
    clear(container).appendChild(root);
  }
  // items: [{label, value, partial?}]; a partial period (one the data covers only in part) is drawn lighter,
  // marked 「途中」 under its label and explained in ``note``, so that it does not read as a drop.
  function columns(container, items, label, note) {
    if (!items.some(function (i) { return i.value > 0; })) { emptyNote(container); return; }
    var width = 900, height = 200, left = 50, bottom = 26, top = 8, plotH = height - bottom - top, plotW = width - left - 8;
    var ticks = niceTicks(Math.max.apply(null, items.map(function (i) { return i.value; })));
    var scale = ticks[ticks.length - 1];
    var step = plotW / Math.max(items.length, 1), every = Math.ceil(items.length / 12);
    var root = svg("svg", { viewBox: "0 0 " + width + " " + height, width: width, height: height, role: "img", "aria-label": label });
    var first = items[0], last = items[items.length - 1];
    var peak = Math.max.apply(null, items.map(function (i) { return i.value; }));
    root.appendChild(svg("title", {}, label + "：" + first.label + "〜" + last.label + "、最大 " + n(peak) + "件" + (note ? "。" + note : "")));
    ticks.forEach(function (v) {
      var y = top + plotH - plotH * v / scale;
      root.appendChild(svg("line", { x1: left, x2: width - 8, y1: y, y2: y, class: "grid" }));
      root.appendChild(svg("text", { x: left - 4, y: y + 4, "text-anchor": "end", class: "tick" }, n(v)));
    });
    items.forEach(function (item, k) {
      var h = plotH * item.value / scale, x = left + k * step;
      var rect = svg("rect", { x: (x + step * 0.12).toFixed(1), y: (top + plotH - h).toFixed(1),
        width: Math.max(step * 0.76, 1).toFixed(1), height: h.toFixed(1), class: "bar" + (item.partial ? " partial" : "") });
      rect.appendChild(svg("title", {}, item.label + "：" + n(item.value) + "件" + (item.partial ? "（途中までの集計）" : "")));
      root.appendChild(rect);
      if (item.partial) {
        root.appendChild(svg("text", { x: (x + step / 2).toFixed(1), y: Math.max(top + 10, top + plotH - h - 4).toFixed(1),
          "text-anchor": "middle", class: "partial" }, "途中"));
      }
      if (k % every === 0 || item.partial) {
        root.appendChild(svg("text", { x: (x + step / 2).toFixed(1), y: height - 8, "text-anchor": "middle" }, item.label));
      }
    });
    clear(container).appendChild(root);
    if (note) container.appendChild(el("p", { class: "muted chart-note", text: note }));
  }
  // The days [first, last] (YYYY-MM-DD) of a volume period's key; weeks start on Monday.
  function periodDays(period, key) {
    var day = function (d) { return d.toISOString().slice(0, 10); };
    if (period === "day") return [key, key];
    if (period === "week") {
      var end = new Date(key + "T00:00:00Z"); end.setUTCDate(end.getUTCDate() + 6);
      return [key, day(end)];
    }
    var y = +key.slice(0, 4), m = +key.slice(5, 7);
    return [key + "-01", day(new Date(Date.UTC(y, m, 0)))];
  }
  function sparkline(values, label) {
    var width = 110, height = 26, peak = Math.max.apply(null, values.concat([1]));
    var step = (width - 4) / Math.max(values.length - 1, 1);
    var points = values.map(function (v, i) { return (2 + i * step).toFixed(1) + "," + (height - 3 - (height - 6) * v / peak).toFixed(1); });
    var root = svg("svg", { viewBox: "0 0 " + width + " " + height, width: width, height: height, role: "img", "aria-label": label, class: "spark" });
    root.appendChild(svg("polyline", { points: points.join(" ") }));
    return root;
  }
  function examples(texts) { return el("ul", { class: "examples" }, (texts || []).map(function (t) { return el("li", { text: t }); })); }
  function rows(tbody, list, make, empty) {
    clear(tbody);
    if (!list.length) tbody.appendChild(el("tr", {}, [el("td", { colspan: "7", class: "muted", text: empty || "該当なし" })]));
    list.forEach(function (item) { tbody.appendChild(make(item)); });
  }
  function td(text, cls) { return el("td", { text: text, class: cls }); }

  // -- views --------------------------------------------------------------------------------------------
  var views = {
    overview: function () {
      return Promise.all([
        api(url("/api/v1/stats/summary", { top: 10 })),
        api(url("/api/v1/stats/volume", { period: $("vol-period").value })),
        api(url("/api/v1/stats/breakdown", { by: "ward" })),
        api(url("/api/v1/stats/breakdown", { by: "category", limit: 12 }))
      ]).then(function (r) {
        var s = r[0], vol = r[1];
        voiceLine(s.voice_types);
        if (vol.to) S.lastDay = vol.to;
        var kpis = [["問い合わせ件数", n(s.total) + "件", "自動応答 " + n(s.automated) + "件"],
          ["自動応答の回答率", pct(s.answer_rate), n(s.answered) + "件"], ["回答できなかった率", pct(s.fallback_rate), n(s.fallback) + "件"],
          ["有人対応の希望率", pct(s.handoff_rate), n(s.handoff) + "件"], ["満足度（役に立った）", pct(s.satisfaction), "評価 " + n(s.rated) + "件中 " + n(s.helpful) + "件"]];
        clear($("kpis"));
        kpis.forEach(function (k) { $("kpis").appendChild(el("div", { class: "kpi" }, [el("small", { text: k[0] }), el("b", { text: k[1] }), el("small", { text: k[2] })])); });
        var unit = { day: "日別", week: "週別（月曜始まり）", month: "月別" }[vol.period];
        var partial = [];
        var bars = vol.series.map(function (p) {
          var span = periodDays(vol.period, p.key);
          var part = (vol.from && span[0] < vol.from) || (vol.to && span[1] > vol.to);
          if (part) partial.push(span[0] < vol.from ? "最初の期間は" + jpDay(vol.from) + "から" : "最後の期間は" + jpDay(vol.to) + "まで");
          return { label: vol.period === "month" ? p.key : p.key.slice(5), value: p.count, partial: part };
        });
        columns($("volume"), bars, unit + "の件数", partial.length ? "（途中）の期間は一部の日だけの集計です：" + partial.join("、") + "。" : "");
        hbars($("by-voice"), VOICES.map(function (v) { return { label: v, value: s.voice_types[v] || 0 }; }), "声の種類別の件数");
        hbars($("by-ward"), r[2].items.map(function (i) { return { label: i.key || "(不明)", value: i.count }; }), "区別の件数");
        hbars($("by-channel"), Object.keys(s.channels).map(function (k) { return { label: CHANNELS[k] || k, value: s.channels[k] }; }), "チャネル別の件数");
        hbars($("by-category"), r[3].items.map(function (i) { return { label: i.key || "(不明)", value: i.count }; }), "分類別の件数");
        if (!s.total) say(EMPTY + "。");
        rows($("top"), s.top_entries, function (e) {
          return el("tr", {}, [el("td", {}, [e.title || e.entry_id, el("br"), el("small", { class: "muted", text: e.entry_id })]),
            td(n(e.count), "num"), td(n(e.rated), "num"), td(pct(e.satisfaction), "num")]);
        }, s.total ? "該当なし" : EMPTY);
        if (!$("report-month").value && S.lastDay) { $("report-month").value = S.lastDay.slice(0, 7); reportLinks(); }
        return "概要を表示しました（" + (s.total ? n(s.total) + "件" : EMPTY) + "）。";
      });
    },
    list: function () {
      return api(url("/api/v1/inquiries", { limit: 50, offset: S.offset })).then(function (b) {
        voiceLine(b.voice_types);
        $("list-count").textContent = n(b.total) + "件中 " + (b.total ? n(b.offset + 1) + "〜" + n(b.offset + b.items.length) : "0") + "件目";
        $("csv").setAttribute("href", url("/api/v1/inquiries.csv"));
        $("prev").disabled = b.offset === 0;
        $("next").disabled = b.next_offset === null;
        rows($("rows"), b.items, function (i) {
          var answer = KINDS[i.kind] || i.kind;
          if (i.entry_title) answer += "：" + i.entry_title;
          if (i.resolution) answer += "（" + ({ answered: "回答済", forwarded: "転送", callback: "折り返し", complaint: "苦情・要望" }[i.resolution] || i.resolution) + "）";
          return el("tr", {}, [td(i.created_at.slice(0, 16).replace("T", " "), "nowrap"), td(CHANNELS[i.channel] || i.channel, "nowrap"), td(i.ward || "—", "nowrap"),
            el("td", { class: "text" }, [i.text, i.note ? el("div", { class: "muted", text: "メモ：" + i.note }) : null]), td(answer),
            el("td", { class: "nowrap" }, [el("span", { class: "tag v-" + (i.voice_type || ""), text: i.voice_type || "—" })]),
            td(i.helpful === true ? "役に立った" : i.helpful === false ? "役に立たなかった" : "—", "nowrap")]);
        }, "条件に合う問い合わせはありません");
        return "問い合わせ一覧を表示しました（" + n(b.total) + "件）。";
      });
    },
    gaps: function () {
      return api(url("/api/v1/stats/gaps", { limit: 30 })).then(function (b) {
        voiceLine(b.voice_types);
        $("gaps-summary").textContent = "対象 " + n(b.total) + "件のうち " + n(b.clustered) + "件が " + n(b.clusters_total) + " のまとまりになりました。";
        rows($("gaps"), b.clusters, function (c) {
          var near = c.nearest ? el("td", {}, [c.nearest.title, el("br"), el("small", { class: "muted", text: c.nearest.entry_id + "（一致度 " + pct(c.nearest.coverage) + "）" })])
            : td("近いエントリなし（新しいFAQの候補）", "muted");
          return el("tr", {}, [td(n(c.size), "num"), td(c.label), el("td", {}, [examples(c.examples.slice(0, 3))]), near,
            td(c.first_seen + "〜" + c.last_seen),
            el("td", {}, [el("button", { type: "button", class: "secondary", text: "一覧で見る", "aria-label": c.label + " の問い合わせを一覧で見る",
              on: function () { $("f-q").value = c.words[0]; S.offset = 0; S.loaded = {}; select("list", true); } })])]);
        });
        return "答えられなかった質問を表示しました。";
      });
    },
    rising: function () {
      var end = $("rising-end").value;
      return api(url("/api/v1/stats/rising", { end: end })).then(function (b) {
        voiceLine(b.voice_types);
        if (!end) $("rising-end").value = b.week.to;
        $("rising-summary").textContent = b.week.from + "〜" + b.week.to + " の " + n(b.week.inquiries) + "件を、その前の4週間（" + b.baseline.from + "〜" + b.baseline.to + "）と比べています。";
        rows($("rising-words"), b.words, function (w) {
          return el("tr", {}, [td(w.word), td(n(w.count), "num"), td(w.baseline.toFixed(1), "num"), td(w.ratio.toFixed(1) + "倍", "num"),
            el("td", {}, [sparkline(w.weekly, w.word + "の週別件数 " + w.weekly.join("、"))]), el("td", {}, [examples(w.examples.slice(0, 2))])]);
        }, "急に増えた言葉はありません");
        rows($("rising-clusters"), b.clusters, function (c) {
          return el("tr", {}, [td(c.label), td(n(c.count), "num"), td(c.baseline.toFixed(1), "num"),
            el("td", {}, [sparkline(c.weekly, c.label + "の週別件数 " + c.weekly.join("、"))]), el("td", {}, [examples(c.examples.slice(0, 2))])]);
        }, "急に増えた質問のまとまりはありません");
        return "急上昇の話題を表示しました。";
      });
    },
    words: function () {
      return Promise.all([api(url("/api/v1/stats/words", { period: "month", limit: 20 })),
        api(url("/api/v1/stats/cooccurrence", { limit: 20 }))]).then(function (r) {
        var f = r[0];
        voiceLine(f.voice_types);
        var table = clear($("freq"));
        table.appendChild(el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: "言葉" }), el("th", { scope: "col", class: "num", text: "合計" })]
          .concat(f.periods.map(function (p) { return el("th", { scope: "col", class: "num", text: p }); })))]));
        table.appendChild(el("tbody", {}, f.words.map(function (w) {
          return el("tr", {}, [el("th", { scope: "row" }, [el("button", { type: "button", class: "secondary", text: w.word, "aria-label": w.word + " のKWICを表示",
            on: function () { $("kwic-word").value = w.word; kwic(); } })]), td(n(w.total), "num")].concat(w.counts.map(function (c) { return td(n(c), "num"); })));
        })));
        rows($("cooc"), r[1].pairs, function (p) { return el("tr", {}, [td(p.a), td(p.b), td(n(p.count), "num"), td(p.jaccard.toFixed(3), "num")]); });
        return crosstab().then(function () { return "言葉の分析を表示しました。"; });
      });
    },
    phrasings: function () {
      return api("/api/v1/phrasings?status=" + $("ph-status").value + "&limit=200").then(function (b) {
        $("ph-counts").textContent = "未判定 " + n(b.counts.pending) + "件／採用 " + n(b.counts.accepted) + "件／不採用 " + n(b.counts.rejected) + "件";
        rows($("phrasings"), b.items, function (p) {
          var buttons = ["accepted", "rejected"].filter(function (s) { return s !== p.status; }).map(function (s) {
            return el("button", { type: "button", class: s === "accepted" ? "" : "secondary", text: s === "accepted" ? "採用" : "不採用",
              "aria-label": "「" + p.text + "」を" + (s === "accepted" ? "採用" : "不採用"), on: function () { decide(p.id, s); } });
          });
          return el("tr", {}, [td(p.text, "text"), el("td", {}, [p.entry_title || p.entry_id, el("br"), el("small", { class: "muted", text: p.entry_id })]),
            td(ORIGINS[p.origin] || p.origin), td((p.created_at || "").slice(0, 10)), td(STATUSES[p.status] || p.status), el("td", {}, buttons)]);
        }, "提案はありません");
        return "言い換えの提案を表示しました。";
      });
    },
    report: function () {
      reportLinks();
      var month = $("report-month").value;
      return Promise.resolve(month ? month.slice(0, 4) + "年" + +month.slice(5, 7) + "月の月次レポートを開けます。" : "月を選ぶと月次レポートを開けます。");
    }
  };

  function kwic() {
    var word = $("kwic-word").value.trim();
    if (!word) { $("kwic-word").focus(); return Promise.resolve(); }
    return api(url("/api/v1/stats/kwic", { word: word, width: 18, limit: 40 })).then(function (b) {
      rows($("kwic"), b.lines, function (l) {
        return el("tr", {}, [td(l.left, "left"), td(l.keyword, "key"), td(l.right, "right"), td(l.created_at.slice(0, 10), "muted")]);
      }, "「" + b.word + "」を含む問い合わせはありません");
      say("「" + b.word + "」のKWIC：" + b.lines.length + "行");
    }).catch(function (e) { say("KWICを表示できませんでした：" + e.message); });
  }
  function crosstab() {
    return api(url("/api/v1/stats/crosstab", { rows: $("ct-rows").value, columns: $("ct-cols").value, limit: 15 })).then(function (b) {
      var table = clear($("crosstab"));
      var label = function (k) { return b.columns === "channel" ? (CHANNELS[k] || k) : k; };
      table.appendChild(el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: "" })].concat(b.keys.map(function (k, i) {
        return el("th", { scope: "col", class: "num", text: label(k) + "（" + n(b.column_totals[i]) + "）" });
      })))]));
      table.appendChild(el("tbody", {}, b.table.map(function (row) {
        return el("tr", {}, [el("th", { scope: "row", text: row.key })].concat(row.counts.map(function (c, i) {
          var share = row.shares[i], level = share >= 0.2 ? 4 : share >= 0.1 ? 3 : share >= 0.05 ? 2 : share > 0.02 ? 1 : 0;
          return td(n(c) + "（" + (share * 100).toFixed(1) + "%）", "num" + (level ? " h" + level : ""));
        })));
      })));
    });
  }
  function decide(id, status) {
    api("/api/v1/phrasings/" + id, { method: "POST", body: { status: status } }).then(function () {
      say(status === "accepted" ? "採用しました。" : "不採用にしました。");
      return views.phrasings();
    }).catch(function (e) { say("保存できませんでした：" + e.message); });
  }
  function reportLinks() {
    var month = $("report-month").value;
    var open = url("/api/v1/reports/monthly", { month: month }, true);
    $("report-open").setAttribute("href", open);
    $("report-save").setAttribute("href", url("/api/v1/reports/monthly", { month: month, download: 1 }, true));
  }

  // -- knowledge base: stale and uncertain facts (GET /api/v1/kb/findings) ------------------------------
  var KB_KINDS = { "contradiction": "矛盾", "unstructured-phone": "本文だけの電話番号", "unmarked-secondary": "二次情報の印なし",
    "old-source": "出典が古い", "no-source-date": "出典の日付なし", "review-overdue": "確認から時間経過", "secondary": "二次情報・未確認" };
  var CERTAINTY = { confirmed: "確認済み", secondary: "二次情報", unverified: "未確認" };
  views.kb = function () {
    var years = parseInt($("kb-age").value, 10) || 3;
    var p = new URLSearchParams({ max_age_days: String(years * 365) });
    if ($("kb-kind").value) p.set("kind", $("kb-kind").value);
    return api("/api/v1/kb/findings?" + p.toString()).then(function (b) {
      $("kb-counts").textContent = b.today + " 時点、" + n(b.entries) + "件のエントリ：" + b.kinds.map(function (k) {
        return (KB_KINDS[k] || k) + " " + n(b.counts[k]);
      }).join("、");
      rows($("kb-findings"), b.items.slice(0, 500), function (f) {
        return el("tr", {}, [td(KB_KINDS[f.kind] || f.kind), el("td", {}, [el("span", { text: f.title || f.entry_id }),
          el("br"), el("code", { text: f.entry_id })]), td(CERTAINTY[f.certainty] || f.certainty || "—"),
          td(f.source_date || "—"), td(f.reviewed || "—"), td(f.detail)]);
      }, "該当する情報はありません。");
      return "知識の鮮度を表示しました（" + (b.items.length > 500 ? "全" + n(b.items.length) + "件のうち先頭の500件" : n(b.items.length) + "件") + "）。";
    });
  };
  fillSelect("kb-kind", Object.keys(KB_KINDS), KB_KINDS);
  $("kb-go").addEventListener("click", function () { load("kb", true); });
  $("kb-kind").addEventListener("change", function () { load("kb", true); });

  // -- tabs ---------------------------------------------------------------------------------------------
  var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"]'));
  function select(name, focusPanel) {
    S.tab = name;
    tabs.forEach(function (t) {
      var on = t.id === "tab-" + name;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    });
    if (focusPanel) $("p-" + name).focus();
    load(name);
  }
  function load(name, force) {
    if (S.loaded[name] && !force) return;
    S.loaded[name] = true;
    say("読み込み中…");
    var generation = S.generation[name] = (S.generation[name] || 0) + 1;
    S.loading = { name: name, generation: generation };
    var drawn;
    try { drawn = views[name](); } finally { S.loading = null; }
    drawn.then(function (msg) { if (msg) say(msg); }).catch(function (e) {
      if (e === STALE) return;  // a newer load of this view draws it
      S.loaded[name] = false;
      if (e.message !== "signed out") say("表示できませんでした：" + e.message);
    });
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
  Array.prototype.forEach.call(document.querySelectorAll('[role="tabpanel"]'), function (p) { p.tabIndex = -1; });

  // -- wiring -------------------------------------------------------------------------------------------
  fillSelect("f-ward", WARDS.concat(["none"]), Object.assign({ none: "不明" }, WARDS.reduce(function (o, w) { o[w] = w; return o; }, {})));
  fillSelect("f-channel", Object.keys(CHANNELS), CHANNELS);
  fillSelect("f-voice", VOICES);
  fillSelect("f-kind", Object.keys(KINDS), KINDS);
  $("filters").addEventListener("submit", function (e) {
    e.preventDefault();
    var from = $("f-from").value, to = $("f-to").value;
    if (from && to && from > to) { say("開始日は終了日より前にしてください。"); $("f-from").focus(); return; }
    S.offset = 0; S.loaded = {};
    load(S.tab, true);
    if (S.tab === "report") reportLinks();
  });
  $("f-reset").addEventListener("click", function () { $("filters").reset(); S.offset = 0; S.loaded = {}; load(S.tab, true); });
  $("vol-period").addEventListener("change", function () { load("overview", true); });
  $("prev").addEventListener("click", function () { S.offset = Math.max(0, S.offset - 50); load("list", true); });
  $("next").addEventListener("click", function () { S.offset += 50; load("list", true); });
  $("rising-go").addEventListener("click", function () { load("rising", true); });
  $("kwic-form").addEventListener("submit", function (e) { e.preventDefault(); kwic(); });
  $("ct-go").addEventListener("click", function () { crosstab().catch(function (e) { say(e.message); }); });
  $("ph-status").addEventListener("change", function () { load("phrasings", true); });
  $("report-month").addEventListener("change", function () { reportLinks(); if (S.tab === "report") load("report", true); });
  $("logout").addEventListener("click", function () {
    api("/api/v1/logout", { method: "POST" }).then(toLogin, toLogin);
  });

  api("/api/v1/me").then(function (me) {
    if (me.role !== "staff" && me.role !== "admin") { say("この画面は広聴担当（staff）の権限が必要です。"); return; }
    S.csrf = me.csrf;
    $("me").textContent = me.name + (me.role === "admin" ? "（管理者）" : "");
    select("overview");
  }).catch(function (e) { if (e.message !== "signed out") say("サーバーに接続できません。"); });
})();
