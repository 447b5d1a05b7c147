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

  var plots = {};

  var BAND = { critical: "rgba(220, 38, 38, 0.14)", warning: "rgba(217, 119, 6, 0.14)", info: "rgba(37, 99, 235, 0.10)" };

  // Shades the periods during which an alert of the instance was firing, behind the lines.
  function bandsHook(firing, fig) {
    return function (u) {
      var min = u.scales.x.min, max = u.scales.x.max, drawn = 0, ctx = u.ctx;
      ctx.save();
      firing.forEach(function (f) {
        var from = Math.max(f.from, min), to = Math.min(f.to == null ? max : f.to, max);
        if (to <= from) return;
        var x0 = u.valToPos(from, "x", true), x1 = u.valToPos(to, "x", true);
        ctx.fillStyle = BAND[f.severity] || BAND.info;
        ctx.fillRect(x0, u.bbox.top, Math.max(x1 - x0, 2), u.bbox.height);
        drawn++;
      });
      ctx.restore();
      fig.setAttribute("data-firing-bands", String(drawn));
    };
  }

  // The x axis spans the whole range picked (not only the buckets that have data).
  var xRange = [null, null];
  var xScale = { time: true, range: function (u, min, max) {
    return xRange[0] == null ? [min, max] : [xRange[0], xRange[1]];
  } };

  function draw(fig, p, firing) {
    var box = fig.querySelector(".chart");
    var empty = fig.querySelector(".nodata");
    fig.setAttribute("data-points", String(p.x.length));
    var old = plots[p.id];
    if (old && old.names === JSON.stringify(p.names) && p.x.length) {
      old.firing.splice(0, old.firing.length);
      Array.prototype.push.apply(old.firing, firing);
      old.plot.setData([p.x].concat(p.lines));   // auto-refresh: same lines, new points
      return;
    }
    if (old) { old.plot.destroy(); delete plots[p.id]; }
    empty.hidden = p.x.length > 0;
    if (!p.x.length) return;
    var series = [{}];
    p.names.forEach(function (name, i) {
      series.push({ label: name || "(none)", stroke: COLORS[i % COLORS.length], width: 1.5,
                    value: function (u, v) { return fmt(p.unit, v); } });
    });
    var opts = {
      width: Math.max(box.clientWidth, 200), height: 180, series: series,
      scales: p.unit === "ratio" ? { x: xScale, y: { range: [0, 1] } } : { x: xScale },
      axes: [{}, { size: 60, values: function (u, vals) { return vals.map(function (v) { return fmt(p.unit, v); }); } }],
      hooks: { drawClear: [bandsHook(firing, fig)] }
    };
    var plot = new uPlot(opts, [p.x].concat(p.lines), box);
    plots[p.id] = { plot: plot, names: JSON.stringify(p.names), box: box, firing: firing };
    fig.classList.add("drawn");
  }

  window.addEventListener("resize", function () {
    Object.keys(plots).forEach(function (id) {
      var e = plots[id];
      e.plot.setSize({ width: Math.max(e.box.clientWidth, 200), height: 180 });
    });
  });

  function loadPanels() {
    var section = document.getElementById("panels");
    if (!section) return;
    fetch(section.getAttribute("data-src"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) {
        xRange[0] = data.from;
        xRange[1] = data.to;
        data.panels.forEach(function (p) {
          var fig = document.getElementById("panel-" + p.id);
          if (fig) draw(fig, p, (data.firing || []).slice());
        });
        section.setAttribute("data-loaded", "true");
        section.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function (e) {
        var msg = document.getElementById("panels-error") || document.createElement("p");
        msg.id = "panels-error";
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

  document.addEventListener("DOMContentLoaded", function () {
    loadPanels();
    autoSubmitFilters();
    // Auto-refresh the charts while the page is visible: every data-refresh seconds (default 60).
    var section = document.getElementById("panels");
    if (section) {
      var seconds = Math.max(5, parseInt(section.getAttribute("data-refresh"), 10) || 60);
      setInterval(function () { if (!document.hidden) loadPanels(); }, seconds * 1000);
    }
  });
})();
