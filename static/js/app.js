// Scanboard's own page behaviour. Loaded with the CSP nonce; no inline handlers anywhere.
(function () {
  "use strict";
  // Dismissible flash messages.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-dismiss]");
    if (btn) { var el = btn.closest(".sb-flash"); if (el) el.remove(); }
  });
  // htmx sends the CSRF token on every request it makes.
  document.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) e.detail.headers["X-CSRF-Token"] = meta.content;
  });
})();
