/* The risk point form: click or tap the campus map to set the position (map_x / map_y, in
   percent of the image from its top-left corner) and see it as a pin. The map shown is the one
   of the campus the point is on: the place's, else the building's, else the chosen campus.
   Without JavaScript the two fields are typed; they stay usable from the keyboard. */
(function () {
  "use strict";
  var box = document.getElementById("risk-point-map");
  var form = document.getElementById("risk-point-form");
  var data = document.getElementById("risk-point-campus-of");
  if (!box || !form || !data) { return; }
  var x = form.querySelector("input[name=map_x]");
  var y = form.querySelector("input[name=map_y]");
  var campus = form.querySelector("select[name=campus]");
  var building = form.querySelector("select[name=building]");
  var place = form.querySelector("select[name=place]");
  var none = box.querySelector("[data-risk-map-none]");
  var maps = box.querySelectorAll("[data-risk-map]");
  var campusOf = JSON.parse(data.textContent);
  var shown = null;

  function currentCampus() {
    if (place && place.value && campusOf.place[place.value]) { return campusOf.place[place.value]; }
    if (building && building.value && campusOf.building[building.value]) {
      return campusOf.building[building.value];
    }
    return campus && campus.value ? campus.value : "";
  }
  function number(input) {
    var text = input.value.trim();
    if (text === "") { return null; }
    var value = parseFloat(text);
    return isNaN(value) || value < 0 || value > 100 ? null : value;
  }
  function pin() {
    var px = number(x), py = number(y);
    maps.forEach(function (frame) {
      var mark = frame.querySelector(".campus-map-pin");
      if (frame.hidden || px === null || py === null) { mark.hidden = true; return; }
      mark.style.left = px + "%";
      mark.style.top = py + "%";
      mark.hidden = false;
    });
  }
  function show(initial) {
    var id = currentCampus();
    if (!initial && shown !== null && id !== shown) {
      // Another campus: a position measured on the old map means nothing on the new one.
      x.value = "";
      y.value = "";
    }
    shown = id;
    var found = false;
    maps.forEach(function (frame) {
      frame.hidden = frame.dataset.riskMap !== id;
      if (!frame.hidden) { found = true; }
    });
    box.hidden = id === "";
    none.hidden = found;
    pin();
  }
  maps.forEach(function (frame) {
    var img = frame.querySelector("img");
    img.addEventListener("click", function (event) {
      var rect = img.getBoundingClientRect();
      if (!rect.width || !rect.height) { return; }
      var px = (event.clientX - rect.left) / rect.width * 100;
      var py = (event.clientY - rect.top) / rect.height * 100;
      x.value = Math.min(100, Math.max(0, px)).toFixed(2);
      y.value = Math.min(100, Math.max(0, py)).toFixed(2);
      pin();
    });
  });
  document.getElementById("risk-point-map-clear").addEventListener("click", function () {
    x.value = "";
    y.value = "";
    pin();
  });
  [campus, building, place].forEach(function (select) {
    if (select) { select.addEventListener("change", function () { show(false); }); }
  });
  x.addEventListener("input", pin);
  y.addEventListener("input", pin);
  show(true);
}());
