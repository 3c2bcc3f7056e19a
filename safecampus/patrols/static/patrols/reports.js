/* Patrol reports: draws each [data-patrol-chart] from the json_script it names and keeps the
   chart fitted to its card (window resize, phone rotation, a card changing width). */
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
    document.querySelectorAll("[data-patrol-chart]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-patrol-chart"));
      if (!src) return;
      var chart = window.echarts.init(el);
      chart.setOption(JSON.parse(src.textContent));
      fit(chart, el);
      el.setAttribute("data-chart-ready", "");
    });
  });
})();
