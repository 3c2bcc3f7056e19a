/* Places the hot spots of the bulletin statistics on the campus map: each .hotspot carries
   its position (percent of the image) and count; the size grows with the count. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".hotspot").forEach(function (el) {
      var n = Number(el.dataset.n) || 1;
      var top = Number(el.dataset.top) || n;
      var size = 18 + Math.round(46 * Math.sqrt(n / top));
      el.style.left = el.dataset.x + "%";
      el.style.top = el.dataset.y + "%";
      el.style.width = size + "px";
      el.style.height = size + "px";
    });
  });
})();
