// The four-colour risk map: zoom buttons (1×, 2×, 3×) for phones; the map scrolls inside its
// frame; each point's invisible hit circle is kept a finger's size on screen. Without
// JavaScript the map still shows at page width and every point is a link.
(function () {
  "use strict";
  var map = document.getElementById("risk-map");
  var svg = map && map.querySelector("svg");
  if (!svg) { return; }
  var bar = document.getElementById("risk-map-zoom");
  var level = 1;

  // Radius of the hit circles in the map's pixels: at least 16 CSS px on a touch screen
  // (8 px with a mouse), never less than the server's (data-hit-r).
  function sizeHits() {
    var box = svg.viewBox.baseVal;
    var scale = box && box.width ? svg.getBoundingClientRect().width / box.width : 0;
    if (!scale) { return; }
    var target = window.matchMedia("(pointer: coarse)").matches ? 16 : 8;
    var r = Math.max(parseFloat(svg.dataset.hitR) || 0, target / scale);
    svg.style.setProperty("--rm-hit-r", r.toFixed(2) + "px");
    svg.classList.add("rm-hit-sized");
  }

  function apply() {
    map.classList.remove("rm-zoom-2", "rm-zoom-3");
    if (level > 1) { map.classList.add("rm-zoom-" + level); }
    bar.querySelector('[data-zoom="out"]').disabled = level === 1;
    bar.querySelector('[data-zoom="in"]').disabled = level === 3;
    sizeHits();
  }

  window.addEventListener("resize", sizeHits);
  sizeHits();
  if (!bar) { return; }
  bar.addEventListener("click", function (event) {
    var button = event.target.closest("[data-zoom]");
    if (!button) { return; }
    var before = level;
    level = Math.min(3, Math.max(1, level + (button.dataset.zoom === "in" ? 1 : -1)));
    if (level !== before) {
      // Keep the centre of the view where it was.
      var cx = (map.scrollLeft + map.clientWidth / 2) / before;
      var cy = (map.scrollTop + map.clientHeight / 2) / before;
      apply();
      map.scrollLeft = cx * level - map.clientWidth / 2;
      map.scrollTop = cy * level - map.clientHeight / 2;
    }
  });
  bar.hidden = false;
  apply();
}());

// The campus map upload page: the preview follows the chosen campus (without JavaScript the
// preview of the campus the page was opened for shows).
(function () {
  "use strict";
  var box = document.getElementById("campus-map-previews");
  var select = box && document.getElementById(box.dataset.select);
  if (!select) { return; }
  select.addEventListener("change", function () {
    box.querySelectorAll("[data-campus]").forEach(function (figure) {
      figure.hidden = figure.dataset.campus !== select.value;
    });
  });
}());
