/* Plans and coverage pages: bar widths (CSP forbids style attributes, so widths are set
   here from data-share / data-of), the new-plan form's kind switch, and "tick all". */
(function () {
  "use strict";

  function sizeBars(root) {
    root.querySelectorAll("[data-share][data-of]").forEach(function (el) {
      var of = Number(el.getAttribute("data-of"));
      var share = Number(el.getAttribute("data-share"));
      var pct = of > 0 ? Math.round(share * 1000 / of) / 10 : 0;
      // A stacked segment sizes itself; a single bar sizes its inner .progress-bar.
      var target = el.hasAttribute("data-inner") ? el.querySelector(".progress-bar") : el;
      if (target) target.style.width = pct + "%";
    });
  }

  function setupKind() {
    var group = document.querySelector("[data-plan-kind]");
    if (!group) return;
    function show() {
      var checked = group.querySelector("input:checked");
      var kind = checked ? checked.value : "";
      document.querySelectorAll("[data-show-for]").forEach(function (el) {
        el.hidden = el.getAttribute("data-show-for") !== kind;
      });
    }
    group.addEventListener("change", show);
    show();
  }

  function setupTickAll() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-tick-all]");
      if (!button) return;
      var name = button.getAttribute("data-tick-all");
      var boxes = document.querySelectorAll("input[type=checkbox][name='" + name + "']");
      // A header checkbox follows its own state; a button ticks all (or clears if all ticked).
      var value = button.type === "checkbox" ? button.checked
        : Array.prototype.some.call(boxes, function (b) { return !b.checked; });
      boxes.forEach(function (b) {
        if (b.offsetParent !== null || button.type !== "checkbox") b.checked = value;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    sizeBars(document);
    setupKind();
    setupTickAll();
  });
  document.addEventListener("htmx:afterSwap", function (event) { sizeBars(event.target); });
})();
