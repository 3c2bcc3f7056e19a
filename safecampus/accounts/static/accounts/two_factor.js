/* Two-factor set-up page: the copy button beside the key typed by hand (copied without the
   spaces that group it). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (!source) return;
        var text = source.textContent.replace(/\s+/g, "");
        var done = function () {
          var label = button.querySelector("span");
          if (label) label.textContent = button.getAttribute("data-copied");
          button.classList.replace("btn-outline-secondary", "btn-success");
        };
        var fallback = function () {
          var area = document.createElement("textarea");
          area.value = text;
          area.setAttribute("readonly", "");
          area.className = "position-absolute opacity-0";
          document.body.appendChild(area);
          area.select();
          var ok = false;
          try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
          document.body.removeChild(area);
          if (ok) done();
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done, fallback);
        } else {
          fallback();
        }
      });
    });
  });
})();
