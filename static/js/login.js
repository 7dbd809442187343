// The sign-in page: create a QR attempt, follow its status by long-poll, finish with this
// browser's own cookie. The pending page: wait for the account's status to change.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.content : "";
  var json = { "Accept": "application/json", "X-CSRF-Token": csrf };

  var pending = document.getElementById("pending");
  if (pending) {
    var waitStatus = function () {
      fetch("/pending/wait?since=" + encodeURIComponent(pending.dataset.status), { headers: json, credentials: "same-origin" })
        .then(function (r) {
          if (r.status === 401) { location.assign("/login"); return null; }
          return r.json();
        })
        .then(function (s) {
          if (!s) return;
          if (s.status !== pending.dataset.status) { location.reload(); } else { waitStatus(); }
        })
        .catch(function () { setTimeout(waitStatus, 5000); });
    };
    waitStatus();
    return;
  }

  var root = document.getElementById("login-qr");
  if (!root) return;
  var img = document.getElementById("login-qr-img");
  var refresh = root.querySelector("[data-refresh]");
  var detail = root.querySelector("[data-detail]");
  var current = null;

  function show(state, message) {
    root.dataset.state = state;
    root.querySelectorAll("[data-state-text]").forEach(function (el) { el.hidden = el.dataset.stateText !== state; });
    img.hidden = state === "loading" || state === "error";
    refresh.hidden = !(state === "expired" || state === "denied" || state === "error");
    detail.textContent = message || "";
  }

  function start() {
    current = null;
    show("loading");
    fetch("/login/attempts", { method: "POST", headers: json, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (a) {
        if (!a.id) { show("error", a.error); return; }
        current = a.id;
        img.src = a.qr;
        show("waiting");
        poll(a.id, "waiting");
      })
      .catch(function () { show("error"); });
  }

  function poll(id, since) {
    fetch("/login/attempts/" + encodeURIComponent(id) + "?since=" + since, { headers: json, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (id !== current) return;
        if (!s.status) { show("expired", s.error); return; }
        show(s.status, s.message);
        if (s.status === "confirmed" || s.status === "need_phone") { complete(id); }
        else if (s.status === "waiting" || s.status === "scanned") { poll(id, s.status); }
      })
      .catch(function () { if (id === current) setTimeout(function () { poll(id, since); }, 3000); });
  }

  function complete(id) {
    fetch("/login/attempts/" + encodeURIComponent(id) + "/complete", { method: "POST", headers: json, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (res) {
        if (res.redirect) { location.assign(res.redirect); return; }
        show("denied", res.error);
      })
      .catch(function () { show("error"); });
  }

  refresh.addEventListener("click", start);
  start();
})();
