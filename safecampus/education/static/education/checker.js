// Fraud-risk checker: character counter and clear button for the message box, and a
// confirmation before a rule is deleted. No inline scripts (CSP).
(function () {
  "use strict";
  var box = document.querySelector("#checker-form textarea");
  var counter = document.getElementById("checker-count");
  if (box && counter) {
    var max = parseInt(counter.dataset.max, 10);
    var show = function () {
      // Characters as the server counts them: code points (an emoji is one, not two
      // UTF-16 units), line breaks one each (the server folds the "\r\n" browsers send).
      var n = Array.from(box.value).length;
      counter.textContent = n ? n + " / " + max : "";
      counter.classList.toggle("text-danger", n > max);
    };
    box.addEventListener("input", show);
    show();
  }
  var clear = document.querySelector("[data-checker-clear]");
  if (clear && box) {
    clear.addEventListener("click", function () {
      box.value = "";
      box.dispatchEvent(new Event("input"));
      var result = document.getElementById("checker-result");
      if (result) { result.remove(); }
      box.focus();
    });
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
