/* SafeCampus page behaviour. Loaded on every page; no inline scripts (CSP). */
(function () {
  "use strict";

  // Cascading place picker: campus → building → place, from #place-picker-data.
  function setupPlacePicker() {
    var dataEl = document.getElementById("place-picker-data");
    var campus = document.querySelector("[data-picker=campus]");
    if (!dataEl || !campus) return;
    var data = JSON.parse(dataEl.textContent);
    var building = document.querySelector("[data-picker=building]");
    var place = document.querySelector("[data-picker=place]");
    function fill(select, rows, keep) {
      if (!select) return;
      var current = keep ? select.value : "";
      var first = select.options[0] ? select.options[0].cloneNode(true) : new Option("---------", "");
      select.innerHTML = "";
      select.appendChild(first);
      rows.forEach(function (r) { select.appendChild(new Option(r.label, String(r.id))); });
      if (current && rows.some(function (r) { return String(r.id) === current; })) select.value = current;
    }
    function refresh(keep) {
      var c = campus.value;
      var b = building ? building.value : "";
      fill(building, data.buildings.filter(function (r) { return String(r[1]) === c; })
        .map(function (r) { return { id: r[0], label: r[2] }; }), keep);
      b = building ? building.value : "";
      fill(place, data.places.filter(function (r) {
        return String(r[1]) === c && (!b || String(r[2]) === b);
      }).map(function (r) { return { id: r[0], label: r[3] }; }), keep);
    }
    campus.addEventListener("change", function () { refresh(false); });
    if (building) building.addEventListener("change", function () {
      var c = campus.value, b = building.value;
      fill(place, data.places.filter(function (r) {
        return String(r[1]) === c && (!b || String(r[2]) === b);
      }).map(function (r) { return { id: r[0], label: r[3] }; }), false);
    });
    refresh(true);
  }

  // A form submits once: the button is disabled after the first tap (the server also
  // de-duplicates by idempotency key, for flaky networks and retries).
  function setupSubmitOnce() {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("[data-submit-once]").forEach(function (btn) {
          window.setTimeout(function () { btn.disabled = true; }, 0);
        });
      });
    });
  }

  // Charts: any element with data-chart="<json-script id>" gets an ECharts option.
  function setupCharts() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-chart"));
      if (!src) return;
      var chart = window.echarts.init(el);
      chart.setOption(JSON.parse(src.textContent));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupPlacePicker();
    setupSubmitOnce();
    setupCharts();
  });
})();
