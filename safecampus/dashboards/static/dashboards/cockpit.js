// Cockpit sparklines: each [data-spark] card gets a small ECharts line of its 12-month trend
// from the json_script "cockpit-sparklines" ({key: {labels, values}}); months without a
// figure (null) leave a gap. No axes, no interaction: the card itself is the link.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var src = document.getElementById("cockpit-sparklines");
    if (!src || !window.echarts) return;
    var data = JSON.parse(src.textContent);
    document.querySelectorAll("[data-spark]").forEach(function (el) {
      var trend = data[el.getAttribute("data-spark")];
      if (!trend) return;
      var chart = window.echarts.init(el);
      chart.setOption({
        animation: false,
        grid: { left: 2, right: 2, top: 4, bottom: 2 },
        xAxis: { type: "category", show: false, data: trend.labels, boundaryGap: false },
        yAxis: { type: "value", show: false, scale: true },
        series: [{ type: "line", data: trend.values, symbol: "none", smooth: false,
                   connectNulls: false, lineStyle: { width: 2, color: "#1c7ed6" },
                   areaStyle: { color: "rgba(28, 126, 214, 0.12)" } }]
      });
      var resize = function () { chart.resize(); };
      if (window.ResizeObserver) { new window.ResizeObserver(resize).observe(el); }
      else { window.addEventListener("resize", resize); }
      el.setAttribute("data-spark-ready", "");
    });
  });
})();
