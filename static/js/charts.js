// Scanboard dashboards: draws the charts from the JSON URLs in data-src, sorts tables,
// and recomputes the statistics table for a time range selected on a chart. Loaded with
// the CSP nonce; no inline handlers or styles anywhere (ECharts draws on canvas).
(function () {
  "use strict";

  var lang = document.documentElement.lang || "zh-CN";
  var numFmt = new Intl.NumberFormat(lang);
  var timeFmt = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  var dateFmt = new Intl.DateTimeFormat(lang, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

  // ---- tables: click a header to sort; the total row stays last ----
  function sortTable(th) {
    var table = th.closest("table");
    var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.getAttribute("data-sort") === "num";
    var asc = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var fixed = rows.filter(function (r) { return r.classList.contains("sb-total"); });
    rows = rows.filter(function (r) { return !r.classList.contains("sb-total"); });
    rows.sort(function (a, b) {
      var x = a.cells[idx].getAttribute("data-v"), y = b.cells[idx].getAttribute("data-v");
      var c = numeric ? (parseFloat(x) - parseFloat(y)) : x.localeCompare(y, lang);
      return asc ? c : -c;
    });
    rows.concat(fixed).forEach(function (r) { body.appendChild(r); });
  }
  document.addEventListener("click", function (e) {
    var th = e.target.closest("table.sb-sortable th[data-sort]");
    if (th) { sortTable(th); return; }
    if (e.target.closest("[data-print]")) { window.print(); }
  });
  document.addEventListener("keydown", function (e) {
    var th = e.target.closest && e.target.closest("table.sb-sortable th[data-sort]");
    if (th && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); sortTable(th); }
  });
  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-autosubmit]")) { e.target.form.submit(); }
  });

  // ---- charts ----
  if (typeof echarts === "undefined") { return; }
  var charts = [];
  var cache = {};
  function load(url) {
    if (!cache[url]) {
      cache[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(url + ": " + r.status); } return r.json(); });
    }
    return cache[url];
  }

  var small = window.matchMedia("(max-width: 640px)").matches;
  function base(extra) {
    var o = {
      animation: false,
      grid: { left: small ? 44 : 60, right: 16, top: 36, bottom: 64, containLabel: false },
      tooltip: { trigger: "axis", confine: true },
      legend: { type: "scroll", top: 0 },
      toolbox: small ? undefined : { right: 8, feature: { saveAsImage: {} } }
    };
    for (var k in extra) { o[k] = extra[k]; }
    return o;
  }
  function pairs(ts, vs) {
    var out = new Array(ts.length);
    for (var i = 0; i < ts.length; i++) { out[i] = [ts[i], vs[i]]; }
    return out;
  }
  function line(name, data, extra) {
    var s = { name: name, type: "line", showSymbol: false, sampling: "lttb", large: true, data: data };
    for (var k in extra || {}) { s[k] = extra[k]; }
    return s;
  }
  var timeAxis = { type: "time", axisLabel: { formatter: function (v) { return timeFmt.format(new Date(v)); }, hideOverlap: true } };
  var zoom = [{ type: "inside", filterMode: "none" }, { type: "slider", filterMode: "none", height: 22, bottom: 8 }];

  function timeChart(s, series, yName) {
    return base({ xAxis: timeAxis, yAxis: { type: "value", name: yName }, dataZoom: zoom, series: series });
  }

  var draw = {
    percentiles: function (s) {
      return timeChart(s, [line("p50", pairs(s.t, s.p50)), line("p90", pairs(s.t, s.p90)), line("p95", pairs(s.t, s.p95)),
        line("p99", pairs(s.t, s.p99)), line("mean", pairs(s.t, s.mean))], "ms");
    },
    throughput: function (s) {
      var tps = new Array(s.t.length).fill(0);
      (s.labels || []).forEach(function (l) { for (var i = 0; i < tps.length; i++) { tps[i] += l.tps[i]; } });
      return timeChart(s, [line("hits/s", pairs(s.t, s.hits)), line("transactions/s", pairs(s.t, tps.map(function (v) { return Math.round(v * 1000) / 1000; })))], "/s");
    },
    errors: function (s) { return timeChart(s, [line("errors/s", pairs(s.t, s.errors), { areaStyle: {} })], "/s"); },
    codes: function (s) {
      return timeChart(s, Object.keys(s.codes || {}).sort().map(function (c) { return line(c, pairs(s.t, s.codes[c])); }), "/s");
    },
    threads: function (s) { return timeChart(s, [line("threads", pairs(s.t, s.threads), { step: "end" })], ""); },
    bytes: function (s) { return timeChart(s, [line("received", pairs(s.t, s.recv_kbps)), line("sent", pairs(s.t, s.sent_kbps))], "KB/s"); },
    labels: function (s) {
      return timeChart(s, (s.labels || []).map(function (l) { return line(l.label, pairs(s.t, l.tps)); }), "/s");
    },
    distribution: function (s) {
      var d = s.dist || { counts: [] };
      var cats = d.counts.map(function (_, i) { return numFmt.format(i * d.bin_ms); });
      return base({ xAxis: { type: "category", data: cats, name: "ms" }, yAxis: { type: "value" }, dataZoom: [{ type: "inside" }],
        series: [{ name: "samples", type: "bar", large: true, data: d.counts }] });
    },
    curve: function (s) {
      var c = s.curve || { p: [], ms: [] };
      return base({ xAxis: { type: "value", min: 0, max: 100, name: "%" }, yAxis: { type: "value", name: "ms" },
        series: [line("ms", pairs(c.p, c.ms))] });
    },
    "trend-p95": function (d) {
      var x = d.points.map(trendLabel);
      return base({ xAxis: { type: "category", data: x }, yAxis: { type: "value", name: "ms" },
        series: [line("p95", d.points.map(function (p) { return p.p95; }), { showSymbol: true }),
          line("p99", d.points.map(function (p) { return p.p99; }), { showSymbol: true })] });
    },
    "trend-throughput": function (d) {
      return base({ xAxis: { type: "category", data: d.points.map(trendLabel) }, yAxis: { type: "value", name: "/s" },
        series: [line("throughput", d.points.map(function (p) { return p.throughput; }), { showSymbol: true })] });
    },
    "trend-errors": function (d) {
      return base({ xAxis: { type: "category", data: d.points.map(trendLabel) }, yAxis: { type: "value", name: "%" },
        series: [line("error %", d.points.map(function (p) { return p.error_pct; }), { showSymbol: true })] });
    },
    "security-trend": function (d) {
      var x = d.points.map(function (p) { return "#" + p.run_id; });
      return base({ xAxis: { type: "category", data: x }, yAxis: { type: "value", minInterval: 1 },
        series: d.risks.map(function (r) {
          return { name: r, type: "bar", stack: "open", data: d.points.map(function (p) { return p.counts[r] || 0; }) };
        }) });
    },
    "compare-percentiles": function (d) { return overlay(d, "p95", "ms"); },
    "compare-throughput": function (d) { return overlay(d, "hits", "/s"); }
  };
  function trendLabel(p) { return "#" + p.run_id + (p.build ? " " + p.build : "") + (p.baseline ? " ★" : ""); }
  // Both runs on seconds since their own start, so their shapes line up.
  function overlay(d, field, unit) {
    function rel(side) {
      var s = side.series, t0 = s.t.length ? s.t[0] : 0;
      return line("#" + side.run, s.t.map(function (t, i) { return [(t - t0) / 1000, s[field][i]]; }));
    }
    return base({ xAxis: { type: "value", name: "s" }, yAxis: { type: "value", name: unit }, dataZoom: zoom, series: [rel(d.a), rel(d.b)] });
  }
  function pointsOf(opt) {
    var n = 0;
    (opt.series || []).forEach(function (s) { n += (s.data || []).length; });
    return n;
  }

  // ---- time-range selection: recompute the statistics table from the bucket histograms ----
  var rangeTimer = null;
  function onZoom(chart) {
    var box = document.getElementById("stats-table");
    if (!box || !window.htmx) { return; }
    clearTimeout(rangeTimer);
    rangeTimer = setTimeout(function () {
      var dz = chart.getOption().dataZoom[0];
      var axis = chart.getModel().getComponent("xAxis", 0).axis;
      var ext = axis.scale.getExtent();
      var from = Math.floor(dz.startValue != null ? dz.startValue : ext[0]);
      var to = Math.ceil(dz.endValue != null ? dz.endValue : ext[1]);
      var whole = dz.start <= 0 && dz.end >= 100;
      var form = document.querySelector("form.sb-filter[hx-get]");
      var q = form ? form.querySelector("input[name=q]").value : "";
      if (form) {
        form.querySelector("[data-range-from]").value = whole ? "" : String(from);
        form.querySelector("[data-range-to]").value = whole ? "" : String(to);
      }
      var url = box.getAttribute("data-stats-url") + "?q=" + encodeURIComponent(q) + (whole ? "" : "&from=" + from + "&to=" + to);
      window.htmx.ajax("GET", url, { target: "#stats-table", swap: "outerHTML" });
    }, 350);
  }

  function drawAll() {
    var boxes = document.querySelectorAll(".sb-chart[data-src]");
    Array.prototype.forEach.call(boxes, function (el) {
      var kind = el.getAttribute("data-chart");
      load(el.getAttribute("data-src")).then(function (data) {
        var opt = draw[kind] && draw[kind](data.points ? data : data);
        if (!opt || pointsOf(opt) === 0) {
          el.classList.add("sb-chart-empty");
          el.textContent = el.getAttribute("data-empty");
          el.setAttribute("data-drawn", "0");
          return;
        }
        var chart = echarts.init(el, null, { renderer: "canvas" });
        chart.setOption(opt);
        el.setAttribute("data-drawn", String(pointsOf(opt)));
        if (opt.xAxis && opt.xAxis.type === "time") {
          chart.group = "sb-time";
          chart.on("datazoom", function () { onZoom(chart); });
        }
        charts.push(chart);
        echarts.connect("sb-time");
      }).catch(function (err) {
        el.classList.add("sb-chart-empty");
        el.textContent = String(err.message || err);
        el.setAttribute("data-drawn", "error");
      });
    });
  }
  if ("ResizeObserver" in window) {
    new ResizeObserver(function () { charts.forEach(function (c) { c.resize(); }); }).observe(document.body);
  }
  window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", drawAll); } else { drawAll(); }
})();
