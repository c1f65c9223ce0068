// What the staff, operator and editor consoles share (loaded before each console's own script): DOM
// helpers that only ever set text with textContent, and the same-origin JSON API call that sends the CSRF
// token on writes and goes to the sign-in page on 401.
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  // el("button", { class: "x", text: "送信", on: handler }, [child, "text" …]); null, undefined and false
  // attributes are left out.
  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k === "on") node.addEventListener("click", v);
      else node.setAttribute(k, v);
    });
    (kids || []).forEach(function (kid) {
      if (kid) node.appendChild(typeof kid === "string" ? document.createTextNode(kid) : kid);
    });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  // The sign-in page, coming back to this console afterwards.
  function toLogin() { location.assign("/login?next=" + encodeURIComponent(location.pathname)); }

  // fetch(path) as JSON: options.method, options.body (sent as JSON), options.csrf (sent as X-CSRF-Token
  // on anything but GET), options.signal. Resolves to { status, ok, body } ({} when the answer is not
  // JSON); a 401 goes to the sign-in page and rejects.
  function request(path, options) {
    options = options || {};
    var method = options.method || "GET";
    var headers = { Accept: "application/json" };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && options.csrf) headers["X-CSRF-Token"] = options.csrf;
    return fetch(path, { method: method, headers: headers, credentials: "same-origin", signal: options.signal,
      body: options.body === undefined ? undefined : JSON.stringify(options.body) })
      .then(function (r) {
        if (r.status === 401) { toLogin(); throw new Error("signed out"); }
        return r.json().then(function (body) { return { status: r.status, ok: r.ok, body: body }; },
          function () { return { status: r.status, ok: r.ok, body: {} }; });
      });
  }

  // The answer's body, or an Error with the API's message (and .status, .body) when it is not 2xx.
  function bodyOf(res) {
    if (res.ok) return res.body;
    var e = new Error((res.body.error && res.body.error.message) || ("HTTP " + res.status));
    e.status = res.status;
    e.body = res.body;
    throw e;
  }

  window.Console = { $: $, el: el, clear: clear, toLogin: toLogin, request: request, bodyOf: bodyOf };
})();
