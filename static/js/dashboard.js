// Draws the charts of the analytics pages (dashboard and impact report) with plotly.js, which the setup installs
// with the `plotly` wheel and serves as static/vendor/plotly.min.js (no CDN).
//
// No inline scripts: each chart is an element `<div data-chart="ID">`, where ID names a `json_script` element that
// holds the figure, {"data": [...], "layout": {...}}, built on the server (analytics/charts.py). This file only
// draws what it is given, so every number on a chart is also in the table beside it.
(function () {
  "use strict";

  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

  function draw(root) {
    if (!window.Plotly) return;
    root.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.dataset.chart);
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(element, figure.data, figure.layout, CONFIG).then(function () {
        element.dataset.rendered = "true";
      });
    });
  }

  // Printing (the impact report): charts fit the paper width, then the screen again.
  function resizeAll() {
    if (!window.Plotly) return;
    document.querySelectorAll("[data-rendered]").forEach(function (element) {
      window.Plotly.Plots.resize(element);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
    // The report's Print button (no inline onclick: the pages run under a strict Content-Security-Policy).
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
  });
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();
