/* Inspection statistics: draws each [data-stats-chart] from the json_script it names, keeps
   the charts fitted to their cards (window resize, phone rotation, a card changing width),
   and a click on a most-failed bar marks that item's row in the table below the chart. */
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

  function markRow(card, index) {
    card.querySelectorAll("[data-stats-row]").forEach(function (row) {
      row.classList.toggle("table-warning", row.getAttribute("data-stats-row") === String(index));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) return;
    document.querySelectorAll("[data-stats-chart]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-stats-chart"));
      if (!src) return;
      var chart = window.echarts.init(el);
      chart.setOption(JSON.parse(src.textContent));
      fit(chart, el);
      var card = el.closest(".card");
      if (card && card.querySelector("[data-stats-row]")) {
        chart.on("click", function (params) { markRow(card, params.dataIndex); });
      }
    });
  });
})();
