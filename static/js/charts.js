/* Dashboard charts: a click on a bar or slice opens the hazard ledger filtered to it.
   app.js draws every [data-chart]; this file runs after it (same DOMContentLoaded, later
   listener) and adds the clicks from a json_script named by data-chart-links: one list of
   URLs per series, in the order of the chart's data (null where there is nothing to open). */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart][data-chart-links]").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      var src = document.getElementById(el.getAttribute("data-chart-links"));
      if (!chart || !src) return;
      var links = JSON.parse(src.textContent);
      chart.on("click", function (params) {
        var series = links[params.seriesIndex] || [];
        var url = series[params.dataIndex];
        if (url) window.location.assign(url);
      });
    });
  });
})();
