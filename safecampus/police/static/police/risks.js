/* The assessment form: show the chosen method's selects and the level they give, computed from
   the tables the page renders into data attributes (the server grades again on submit). */
(function () {
  "use strict";
  var form = document.getElementById("assess-form");
  if (!form) { return; }
  var out = document.getElementById("risk-result");
  var lecBands = JSON.parse(form.dataset.lecBands);
  var matrixBands = JSON.parse(form.dataset.matrixBands);
  var names = JSON.parse(form.dataset.levelNames);

  function method() {
    var checked = form.querySelector("input[name=method]:checked");
    return checked ? checked.value : "lec";
  }
  function value(name) {
    var field = form.querySelector("[name=" + name + "]");
    return field && field.value !== "" ? parseFloat(field.value) : null;
  }
  function band(score, bands) {
    var levels = ["major", "high", "moderate"];
    for (var i = 0; i < levels.length; i++) {
      if (score >= bands[levels[i]] - 1e-9) { return levels[i]; }
    }
    return "low";
  }
  function show() {
    var m = method();
    form.querySelectorAll("[data-method-group]").forEach(function (group) {
      group.hidden = group.dataset.methodGroup !== m;
    });
    var score = null, level = null;
    if (m === "lec") {
      var l = value("lec_l"), e = value("lec_e"), c = value("lec_c");
      if (l !== null && e !== null && c !== null) {
        score = Math.round(l * e * c * 100) / 100;
        level = band(score, lecBands);
      }
    } else {
      var li = value("likelihood"), se = value("severity");
      if (li !== null && se !== null) { score = li * se; level = band(score, matrixBands); }
    }
    out.textContent = "";
    if (level === null) {
      out.textContent = out.dataset.empty;
      return;
    }
    var badge = document.createElement("span");
    badge.className = "risk-level risk-level-lg risk-level-" + level;
    badge.textContent = names[level];
    var text = document.createElement("span");
    text.className = "ms-2";
    text.textContent = (m === "lec" ? "D = " : "R = ") + score;
    out.appendChild(badge);
    out.appendChild(text);
  }
  form.addEventListener("change", show);
  show();
})();
