// Upload page and profile page behaviour: drag-and-drop of result files, one XHR per file
// (fetch reports no upload progress) with a bar for the transfer, then a long poll of the
// run's progress for the processing bar; the copy button of a new API token.
(function () {
  "use strict";

  // Copy button of a freshly created API token (profile page).
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-copy]");
    if (!btn) return;
    var input = document.getElementById(btn.getAttribute("data-copy"));
    if (!input) return;
    var done = function () { btn.textContent = btn.getAttribute("data-copied"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      input.select();
      try { if (document.execCommand("copy")) done(); } catch (_) { /* the text stays selected */ }
    }
  });

  var form = document.getElementById("upload-form");
  if (!form) return;
  var drop = document.getElementById("upload-drop");
  var picker = document.getElementById("upload-files");
  var list = document.getElementById("upload-list");
  var msgs = document.getElementById("upload-msgs");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function msg(key, vars) {
    var s = msgs.getAttribute("data-" + key) || key;
    Object.keys(vars || {}).forEach(function (k) { s = s.split("{" + k + "}").join(String(vars[k])); });
    return s;
  }
  function size(n) {
    var units = ["bytes", "KiB", "MiB", "GiB"], i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1).replace(/\.0$/, "")) + " " + units[i];
  }

  // One list entry per file: name, size, a bar and a status line (textContent only: file
  // names and server messages are never parsed as HTML).
  function entry(file) {
    var li = document.createElement("li");
    li.className = "sb-upload-item";
    var head = document.createElement("div");
    head.className = "sb-upload-head";
    var name = document.createElement("strong");
    name.textContent = file.name;
    var sz = document.createElement("span");
    sz.className = "sb-muted";
    sz.textContent = size(file.size);
    head.append(name, " ", sz);
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    var status = document.createElement("p");
    status.className = "sb-upload-status";
    status.setAttribute("data-state", "waiting");
    status.textContent = msg("upload.state.waiting");
    li.append(head, bar, status);
    list.prepend(li);
    return {
      li: li, bar: bar,
      set: function (state, text, pct) {
        li.setAttribute("data-state", state);
        status.setAttribute("data-state", state);
        status.textContent = text;
        if (pct === null) bar.removeAttribute("value"); // indeterminate while waiting
        else if (pct !== undefined) bar.value = pct;
      },
      link: function (id) {
        var a = document.createElement("a");
        a.href = "/runs/" + encodeURIComponent(id);
        a.textContent = msg("upload.open_run", { id: id });
        a.className = "sb-upload-run";
        status.append(" ", a);
      }
    };
  }

  function errorText(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.error) return body.error;
    } catch (_) { /* not JSON */ }
    return "HTTP " + xhr.status;
  }

  // Processing: long-poll until the run is ready or failed.
  function watch(item, runId, last) {
    var url = "/upload/runs/" + encodeURIComponent(runId) + "/progress?status=" +
      encodeURIComponent(last.status) + "&progress=" + last.progress;
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status !== 200) { item.set("error", msg("upload.state.error") + " " + errorText(xhr)); return; }
      var p = JSON.parse(xhr.responseText);
      if (p.status === "ready") {
        item.set("ready", msg("upload.state.ready"), 100);
        item.link(runId);
        return;
      }
      if (p.status === "failed") {
        item.set("failed", msg("upload.state.failed") + " " + (p.error || ""));
        item.bar.value = 0;
        return;
      }
      if (p.status === "queued") item.set("queued", msg("upload.state.queued"), null);
      else item.set("processing", msg("upload.state.processing", { pct: p.progress }), p.progress);
      watch(item, runId, p);
    };
    xhr.onerror = function () { setTimeout(function () { watch(item, runId, last); }, 2000); };
    xhr.send();
  }

  // Transfer: the raw file as the body, like the API; the name travels in the query
  // because request headers cannot carry non-Latin-1 names.
  function send(file, item, project, tags) {
    return new Promise(function (resolve) {
      var q = new URLSearchParams({ filename: file.name });
      Object.keys(tags).forEach(function (k) { if (tags[k]) q.set(k, tags[k]); });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/upload/projects/" + encodeURIComponent(project) + "/runs?" + q.toString());
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.floor(e.loaded * 100 / e.total);
        item.set("sending", msg("upload.state.sending", { pct: pct }), pct);
      };
      xhr.onload = function () {
        if (xhr.status === 200 || xhr.status === 202) {
          var rc = JSON.parse(xhr.responseText);
          if (rc.duplicate_of) {
            item.set("duplicate", msg("upload.state.duplicate", { id: rc.duplicate_of }), 100);
            item.link(rc.duplicate_of);
          } else {
            item.set("queued", msg("upload.state.queued"), null);
            watch(item, rc.run_id, { status: rc.status, progress: 0 });
          }
        } else {
          item.set("error", msg("upload.state.error") + " " + errorText(xhr), 0);
        }
        resolve();
      };
      xhr.onerror = function () { item.set("error", msg("upload.error.network"), 0); resolve(); };
      xhr.send(file);
    });
  }

  // Files are sent one after the other (the link is shared); processing runs meanwhile.
  var queue = Promise.resolve();
  function add(files) {
    var project = form.elements.project.value;
    var tags = { build: form.elements.build.value.trim(), commit: form.elements.commit.value.trim(), env: form.elements.env.value.trim() };
    Array.prototype.forEach.call(files, function (file) {
      var item = entry(file);
      if (!project) { item.set("error", msg("upload.error.no_project")); return; }
      if (maxBytes && file.size > maxBytes) {
        item.set("error", msg("upload.state.error") + " " + msg("upload.error.too_large", { size: size(file.size), max: size(maxBytes) }));
        return;
      }
      queue = queue.then(function () { return send(file, item, project, tags); });
    });
  }

  drop.addEventListener("click", function () { picker.click(); });
  drop.addEventListener("keydown", function (e) {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); picker.click(); }
  });
  picker.addEventListener("click", function (e) { e.stopPropagation(); });
  picker.addEventListener("change", function () { add(picker.files); picker.value = ""; });
  ["dragenter", "dragover"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("sb-drop-over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.remove("sb-drop-over"); });
  });
  drop.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) add(e.dataTransfer.files);
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
})();
