/* Setting patrols up (the office): position from the phone, confirmations. No inline scripts (CSP). */
(function () {
  "use strict";

  // "Set the position from this phone": the browser's Geolocation API fills latitude and
  // longitude (6 decimals, about 0.1 m). Only offered where the API exists; browsers give a
  // position only on HTTPS (or localhost) and after the person allows it.
  function setupGeolocate() {
    document.querySelectorAll("[data-geolocate]").forEach(function (button) {
      var lat = document.querySelector(button.getAttribute("data-lat"));
      var lng = document.querySelector(button.getAttribute("data-lng"));
      var status = button.parentNode.querySelector("[data-geolocate-status]");
      if (!lat || !lng) return;
      button.hidden = false;
      function say(text) { if (status) status.textContent = text; }
      button.addEventListener("click", function () {
        if (!("geolocation" in navigator) || !window.isSecureContext) {
          say(button.getAttribute("data-msg-missing"));
          return;
        }
        button.disabled = true;
        say(button.getAttribute("data-msg-wait"));
        navigator.geolocation.getCurrentPosition(function (position) {
          lat.value = position.coords.latitude.toFixed(6);
          lng.value = position.coords.longitude.toFixed(6);
          [lat, lng].forEach(function (input) { input.dispatchEvent(new Event("change")); });
          say(button.getAttribute("data-msg-done")
            .replace("%(accuracy)s", String(Math.round(position.coords.accuracy))));
          button.disabled = false;
        }, function () {
          say(button.getAttribute("data-msg-denied"));
          button.disabled = false;
        }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
      });
    });
  }

  // Buttons that cannot be undone (new codes make printed stickers stop working) ask first.
  function setupConfirm() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  setupGeolocate();
  setupConfirm();
})();
