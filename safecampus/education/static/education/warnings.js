// Compose a warning: show only the audience fields the chosen kind uses (CSP: no inline JS).
(function () {
  "use strict";
  var form = document.getElementById("warning-form");
  if (!form) { return; }
  var kind = form.querySelector("[name=audience_kind]");
  function sync() {
    var value = kind.value;
    form.querySelectorAll("[data-audience]").forEach(function (box) {
      var kinds = box.getAttribute("data-audience").split(" ");
      box.classList.toggle("d-none", kinds.indexOf(value) === -1);
    });
  }
  kind.addEventListener("change", sync);
  sync();
})();
