// The "generate a report" form: show only the period fields of the chosen kind
// (month, quarter or chosen days). Without this script every field shows; the server
// reads only the chosen kind's fields.
(function () {
  "use strict";
  document.querySelectorAll("[data-report-form]").forEach(function (form) {
    function update() {
      var chosen = form.querySelector("input[name=kind]:checked");
      var kind = chosen ? chosen.value : "month";
      form.querySelectorAll("[data-kind]").forEach(function (part) {
        part.hidden = part.getAttribute("data-kind") !== kind;
      });
    }
    form.querySelectorAll("input[name=kind]").forEach(function (input) {
      input.addEventListener("change", update);
    });
    update();
  });
})();
