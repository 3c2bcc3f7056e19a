/* Incident statistics: draws each [data-stats-chart] from the JSON blob it names
   (<script type="application/json">, no inline scripts under the CSP) and keeps the charts
   fitted to their cards (window resize, phone rotation, a card changing width). */
(function () {
  "use strict";

  function fit(chart, el) {
    var resize = function () { chart.resize(); };
    if (window.ResizeObserver) {
      new window.ResizeObserver(resize).observe(el);
    } else {
      window.addEventListener("resize", resize);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) return;
    document.querySelectorAll("[data-stats-chart]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-stats-chart"));
      if (!src) return;
      var chart = window.echarts.init(el);
      chart.setOption(JSON.parse(src.textContent));
      fit(chart, el);
    });
  });
})();
