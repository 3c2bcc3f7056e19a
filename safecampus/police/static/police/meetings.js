// Plan a meeting: list only the liaisons of the partners ticked (all when none is ticked
// and no script runs, the server checks the choice anyway).
(function () {
  "use strict";
  var partners = document.querySelectorAll("#meeting-partners input[type=checkbox]");
  var box = document.getElementById("meeting-liaisons");
  if (!partners.length || !box) { return; }
  var hint = document.getElementById("no-liaisons");
  function update() {
    var chosen = {};
    var any = false;
    partners.forEach(function (p) { if (p.checked) { chosen[p.value] = true; any = true; } });
    var shown = 0;
    box.querySelectorAll("input[data-partner]").forEach(function (input) {
      var row = input.closest(".form-check");
      var on = chosen[input.getAttribute("data-partner")] === true;
      if (!on) { input.checked = false; }
      if (row) { row.classList.toggle("d-none", !on); }
      if (on) { shown += 1; }
    });
    if (hint) { hint.classList.toggle("d-none", any && shown > 0); }
  }
  partners.forEach(function (p) { p.addEventListener("change", update); });
  update();
})();
