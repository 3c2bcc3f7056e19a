/* Quizzes: on the attempt page, count the questions answered; on the new-quiz form, show
   only the group fields the chosen audience needs. No inline scripts (CSP). */
(function () {
  "use strict";

  var form = document.getElementById("quiz-form");
  var progress = document.getElementById("quiz-progress");
  if (form && progress) {
    var total = parseInt(progress.getAttribute("data-total"), 10) || 0;
    var template = progress.textContent;
    var update = function () {
      var answered = 0;
      form.querySelectorAll(".quiz-question").forEach(function (fieldset) {
        if (fieldset.querySelector("input:checked")) { answered += 1; }
      });
      progress.textContent = template + " · " + answered + " / " + total + " ✓";
      progress.setAttribute("data-answered", String(answered));
    };
    form.addEventListener("change", update);
    update();
  }

  var audience = document.getElementById("quiz-audience");
  if (audience) {
    var kind = audience.querySelector("select[name=audience_kind]");
    var sync = function () {
      audience.querySelectorAll("[data-audience]").forEach(function (box) {
        var kinds = box.getAttribute("data-audience").split(" ");
        box.hidden = kinds.indexOf(kind.value) === -1;
      });
    };
    if (kind) { kind.addEventListener("change", sync); sync(); }
  }
  document.documentElement.setAttribute("data-quizzes-ready", "");
})();
