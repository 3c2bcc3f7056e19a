// Survey pages (CSP: no inline JS): show only the audience fields the chosen kind uses, and
// only the question fields its kind uses (options for choices, the scale for a scale); ask
// before a step that cannot be undone (forms with data-confirm: send, close, delete).
(function () {
  "use strict";
  function toggle(form, selectName, attribute) {
    var select = form.querySelector("[name=" + selectName + "]");
    if (!select) { return; }
    function sync() {
      form.querySelectorAll("[" + attribute + "]").forEach(function (box) {
        var kinds = box.getAttribute(attribute).split(" ");
        box.classList.toggle("d-none", kinds.indexOf(select.value) === -1);
      });
    }
    select.addEventListener("change", sync);
    sync();
  }
  var survey = document.getElementById("survey-form");
  if (survey) { toggle(survey, "audience_kind", "data-audience"); }
  var question = document.getElementById("question-form");
  if (question) { toggle(question, "kind", "data-question-kinds"); }
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
