// DataInsight console: draws the instance page's charts from /api/instances/NAME/panels with uPlot
// (served from its webjar). No inline script anywhere: the CSP allows scripts from this origin only.
// Text from the store is only ever set as textContent (uPlot does the same for legends).
(function () {
  "use strict";
  var COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

  function fmt(unit, v) {
    if (v == null) return "";
    if (unit === "ratio") return (v * 100).toFixed(1) + "%";
    var abs = Math.abs(v), suffix = "", div = 1;
    var byteUnits = unit.indexOf("bytes") === 0;
    var steps = byteUnits ? [[1099511627776, "TiB"], [1073741824, "GiB"], [1048576, "MiB"], [1024, "KiB"]]
                          : [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
    for (var i = 0; i < steps.length; i++) {
      if (abs >= steps[i][0]) { div = steps[i][0]; suffix = steps[i][1]; break; }
    }
    var n = v / div;
    return (Math.abs(n) >= 100 || n === Math.round(n) ? n.toFixed(0) : n.toFixed(2)) + (suffix ? " " + suffix : "");
  }

  function draw(fig, p) {
    var box = fig.querySelector(".chart");
    var empty = fig.querySelector(".nodata");
    fig.setAttribute("data-points", String(p.x.length));
    if (!p.x.length) { empty.hidden = false; return; }
    var series = [{}];
    p.names.forEach(function (name, i) {
      series.push({ label: name || "(none)", stroke: COLORS[i % COLORS.length], width: 1.5,
                    value: function (u, v) { return fmt(p.unit, v); } });
    });
    var opts = {
      width: Math.max(box.clientWidth, 200), height: 180, series: series,
      scales: p.unit === "ratio" ? { x: { time: true }, y: { range: [0, 1] } } : { x: { time: true } },
      axes: [{}, { size: 60, values: function (u, vals) { return vals.map(function (v) { return fmt(p.unit, v); }); } }]
    };
    var plot = new uPlot(opts, [p.x].concat(p.lines), box);
    fig.classList.add("drawn");
    window.addEventListener("resize", function () { plot.setSize({ width: Math.max(box.clientWidth, 200), height: 180 }); });
  }

  function loadPanels() {
    var section = document.getElementById("panels");
    if (!section) return;
    fetch(section.getAttribute("data-src"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) {
        data.panels.forEach(function (p) {
          var fig = document.getElementById("panel-" + p.id);
          if (fig) draw(fig, p);
        });
        section.setAttribute("data-loaded", "true");
      })
      .catch(function (e) {
        var msg = document.createElement("p");
        msg.className = "error";
        msg.textContent = "charts could not load: " + e.message;
        section.prepend(msg);
        section.setAttribute("data-loaded", "error");
      });
  }

  function autoSubmitFilters() {
    document.querySelectorAll("form.filters select").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { loadPanels(); autoSubmitFilters(); });
})();
