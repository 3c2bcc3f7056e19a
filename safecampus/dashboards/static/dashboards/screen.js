// The big screen: a ticking clock (local time of the display), and the ECharts charts of the
// data fragment, drawn at load and again after each refresh that htmx swaps in (every 60 s).
(function () {
  "use strict";
  function tick() {
    var el = document.getElementById("screen-clock");
    if (!el) return;
    // Campus time (Asia/Shanghai) whatever the display's own time zone setting.
    var parts = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Shanghai", year: "numeric",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
      hourCycle: "h23" }).formatToParts(new Date()).forEach(function (p) { parts[p.type] = p.value; });
    el.textContent = parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" +
      parts.minute + ":" + parts.second;
  }
  function drawCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-screen-chart]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-screen-chart"));
      if (!src) return;
      var old = window.echarts.getInstanceByDom(el);
      if (old) old.dispose();
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(JSON.parse(src.textContent));
      el.setAttribute("data-chart-ready", "");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 1000);
    drawCharts(document);
    window.addEventListener("resize", function () {
      document.querySelectorAll("[data-screen-chart]").forEach(function (el) {
        var chart = window.echarts && window.echarts.getInstanceByDom(el);
        if (chart) chart.resize();
      });
    });
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    // a refused or failed refresh swaps nothing: keep its charts
    if (!window.echarts || !event.detail.shouldSwap) return;
    event.target.querySelectorAll("[data-screen-chart]").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) chart.dispose();
    });
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    drawCharts(event.target);
    showStatus(null);
  });
  // A refresh that fails keeps the old figures (htmx swaps nothing): say so on the screen.
  // 403: the link was revoked; anything else (5xx, no network): the data is stale.
  function showStatus(kind) {
    var el = document.getElementById("screen-status");
    if (!el) return;
    if (!kind) { el.hidden = true; el.removeAttribute("data-kind"); return; }
    var grid = document.querySelector(".sc-grid");
    var stamp = grid ? new Date(grid.getAttribute("data-updated")) : null;
    var time = "—";
    if (stamp && !isNaN(stamp)) {
      var parts = {};
      new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Shanghai", hour: "2-digit",
        minute: "2-digit", hourCycle: "h23" }).formatToParts(stamp)
        .forEach(function (p) { parts[p.type] = p.value; });
      time = parts.hour + ":" + parts.minute;
    }
    el.textContent = el.getAttribute(kind === "revoked" ? "data-revoked" : "data-stale")
      .replace("{time}", time);
    el.setAttribute("data-kind", kind);
    el.hidden = false;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : 0;
    showStatus(status === 403 ? "revoked" : "stale");
  });
  document.addEventListener("htmx:sendError", function () { showStatus("stale"); });
})();
