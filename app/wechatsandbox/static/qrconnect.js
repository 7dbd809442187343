// Long-polls the sandbox the way WeChat's QR page does, then sends the browser to redirect_uri.
(function () {
  "use strict";
  var box = document.getElementById("qrlogin");
  if (!box) { return; }
  var d = box.dataset;
  var last = "";
  var status = document.getElementById("qrstatus");
  function show(key) {
    var el = document.getElementById("st-" + key);
    if (!el) { return; }
    status.textContent = el.textContent;
  }
  function go(url) {
    if (d.selfRedirect === "true") { window.location.href = url; } else { window.top.location.href = url; }
  }
  function withParams(base, params) {
    var sep = base.indexOf("?") >= 0 ? "&" : "?";
    return base + sep + params;
  }
  function poll() {
    var x = new XMLHttpRequest();
    x.open("GET", d.poll + "?uuid=" + encodeURIComponent(d.uuid) + "&last=" + last + "&_=" + Date.now());
    x.onload = function () {
      var m = /wx_errcode=(\d+);window\.wx_code='([^']*)'/.exec(x.responseText || "");
      if (!m) { setTimeout(poll, 2000); return; }
      var code = m[1], wxcode = m[2];
      last = code;
      if (code === "405") {
        show("confirmed");
        go(withParams(d.redirect, "code=" + encodeURIComponent(wxcode) + "&state=" + encodeURIComponent(d.state)));
        return;
      }
      if (code === "403") {
        show("denied");
        if (d.denyRedirect === "true") { go(withParams(d.redirect, "state=" + encodeURIComponent(d.state))); }
        return;
      }
      if (code === "402") { show("expired"); return; }
      if (code === "404") { show("scanned"); }
      poll();
    };
    x.onerror = function () { setTimeout(poll, 2000); };
    x.send();
  }
  poll();
})();
