/* The incident form of a bulletin: the place list shows only the places of the chosen campus
   (each option carries data-campus), choosing a place first fills its campus, and an incident
   elsewhere in the precinct has no place. Without this script every place is listed and the
   server refuses a place on another campus. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var campus = document.getElementById("id_campus");
    var place = document.getElementById("id_place");
    var proximity = document.getElementById("id_proximity");
    if (!campus || !place) {
      return;
    }
    var options = Array.prototype.slice.call(place.options);

    function showPlaces() {
      var chosen = campus.value;
      var current = place.value;
      while (place.options.length) {
        place.remove(0);
      }
      options.forEach(function (option) {
        if (!option.value || !chosen || option.dataset.campus === chosen) {
          place.add(option);
        }
      });
      place.value = current;
      if (place.value !== current) {
        place.value = "";
      }
    }

    function offCampus() {
      var elsewhere = proximity && proximity.value === "area";
      if (elsewhere) {
        place.value = "";
      }
      place.disabled = elsewhere;
    }

    campus.addEventListener("change", showPlaces);
    place.addEventListener("change", function () {
      var option = place.options[place.selectedIndex];
      if (option && option.value && !campus.value) {
        campus.value = option.dataset.campus;
        showPlaces();
      }
    });
    if (proximity) {
      proximity.addEventListener("change", offCampus);
    }
    showPlaces();
    offCampus();
  });
})();
