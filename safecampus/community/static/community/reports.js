/* Concern reports: app.js draws every [data-chart]; this marks the page once all its charts
   are drawn (browser tests wait for it). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var charts = document.querySelectorAll("[data-chart]");
    var drawn = Array.prototype.every.call(charts, function (el) {
      return el.hasAttribute("data-chart-ready");
    });
    if (drawn) document.body.setAttribute("data-report-ready", "");
  });
})();
