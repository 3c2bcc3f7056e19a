/*
 * The activity form's "Use my position" button: asks the device for its position
 * (SafeCampusPhone.locate in static/js/qrscan.js) and fills latitude and longitude with six
 * decimals; says so when no position comes (permission refused, no GPS, timeout).
 */
(function () {
  "use strict";
  var LOCATE_MS = 10000;
  var button = document.getElementById("use-position");
  if (!button) return;
  var status = document.getElementById("position-status");
  var latitude = document.getElementById("id_latitude");
  var longitude = document.getElementById("id_longitude");

  button.addEventListener("click", function () {
    var phone = window.SafeCampusPhone;
    button.disabled = true;
    status.textContent = button.dataset.locating;
    function done(position) {
      button.disabled = false;
      if (!position || !position.coords) {
        status.textContent = button.dataset.failed;
        return;
      }
      latitude.value = position.coords.latitude.toFixed(6);
      longitude.value = position.coords.longitude.toFixed(6);
      status.textContent = button.dataset.found.replace(
        "{metres}", String(Math.round(position.coords.accuracy || 0)));
    }
    if (phone) phone.locate(done, LOCATE_MS); else done(null);
  });
})();
