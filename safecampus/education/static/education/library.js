// Fraud report form: the loss amount is asked only when "I lost money" is ticked.
(function () {
  "use strict";
  function setup() {
    var form = document.getElementById("fraud-report-form");
    if (!form) return;
    var box = form.querySelector("[data-loss-amount]");
    var tick = form.querySelector("input[name=lost_money]");
    if (!box || !tick) return;
    function show() {
      box.hidden = !tick.checked;
      if (!tick.checked) {
        var amount = box.querySelector("input");
        if (amount) amount.value = "";
      }
    }
    tick.addEventListener("change", show);
    show();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
