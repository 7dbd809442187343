// The inline Open Platform QR: wxLogin.js (WeChat's, or the sandbox's in development) is
// loaded just before this file; the server chose the options, including a one-time state.
(function () {
  "use strict";
  var el = document.getElementById("login-website");
  if (!el) return;
  if (typeof window.WxLogin !== "function") {
    el.dataset.state = "error";
    return;
  }
  new window.WxLogin(JSON.parse(el.dataset.options));
  el.dataset.state = "shown";
})();
