// Sign-in for the operator and staff pages: POST /api/v1/login, then go to ?next= (a local path only).
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  var error = document.getElementById("login-error");

  function nextPath(role) {
    var next = new URLSearchParams(location.search).get("next") || "";
    if (/^\/(?!\/)[\w\-./?=&%]*$/.test(next)) return next;
    return role === "operator" ? "/operator/" : role === "editor" ? "/editor/" : "/staff/";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.textContent = "";
    var name = form.elements.name.value.trim();
    var password = form.elements.password.value;
    if (!name || !password) {
      error.textContent = "ユーザー名とパスワードを入力してください。";
      return;
    }
    fetch("/api/v1/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ name: name, password: password })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, status: response.status, body: body }; });
    }).then(function (result) {
      if (result.ok) {
        location.assign(nextPath(result.body.role));
      } else if (result.status === 429) {
        error.textContent = "失敗が続いたため一時的にロックしています。しばらくしてからお試しください。";
      } else {
        error.textContent = "ユーザー名またはパスワードが違います。";
      }
    }).catch(function () {
      error.textContent = "サーバーに接続できません。";
    });
  });
})();
