// The four-colour risk map: zoom buttons (1×, 2×, 3×) for phones; the map scrolls inside its
// frame. Without JavaScript the map still shows at page width and every point is a link.
(function () {
  "use strict";
  var map = document.getElementById("risk-map");
  var bar = document.getElementById("risk-map-zoom");
  if (!map || !bar) { return; }
  var level = 1;
  function apply() {
    map.classList.remove("rm-zoom-2", "rm-zoom-3");
    if (level > 1) { map.classList.add("rm-zoom-" + level); }
    bar.querySelector('[data-zoom="out"]').disabled = level === 1;
    bar.querySelector('[data-zoom="in"]').disabled = level === 3;
  }
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
