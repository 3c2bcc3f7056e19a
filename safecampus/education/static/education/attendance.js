/* Signing in at an education activity on a phone (the page of an activity's QR link and the
 * scanner page). A tap on the sign-in button (or a code read by the camera) fills the hidden
 * fields with the phone's time (ISO 8601 with its offset) and, when the phone gives it within
 * a few seconds, its position (SafeCampusPhone in static/js/qrscan.js), then sends the form.
 * Nothing is sent without a tap or a scan, so opening the link signs nobody in. Signing in
 * twice is harmless: the server keeps one attendance per person and activity.
 */
(function () {
  "use strict";

  var form = document.getElementById("sign-in-form");
  var phone = window.SafeCampusPhone;
  var LOCATE_MS = 4000;
  var sending = false;

  function field(name) { return form ? form.querySelector("[name=" + name + "]") : null; }

  function busy(on) {
    var status = document.getElementById("sign-in-status");
    if (status) status.hidden = !on;
    var button = document.getElementById("sign-in-submit");
    if (button) button.disabled = on;
  }

  function send() {
    if (sending || !form) return;
    sending = true;
    busy(true);
    if (phone) field("signed_at").value = phone.isoNow();
    var done = function (position) {
      if (position && position.coords) {
        field("latitude").value = position.coords.latitude.toFixed(6);
        field("longitude").value = position.coords.longitude.toFixed(6);
      }
      form.submit();
    };
    if (phone) phone.locate(done, LOCATE_MS); else done(null);
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      send();
    });
  }

  // Back to the page from the browser's history: ready for a new tap.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    sending = false;
    busy(false);
  });

  var configEl = document.getElementById("attendance-scan-config");
  var toggle = document.getElementById("camera-toggle");
  var video = document.getElementById("scan-video");
  if (configEl && toggle && video && window.SafeCampusQrScanner) {
    var config = JSON.parse(configEl.textContent);
    window.SafeCampusQrScanner.attach({
      video: video, frame: document.getElementById("scan-camera"),
      canvas: document.getElementById("scan-canvas"), toggle: toggle,
      message: document.getElementById("camera-message"), jsqrUrl: config.jsqrUrl,
      text: config.text || {}, autostart: false,
      onCode: function (value) {
        var input = field("code");
        if (!input || sending) return;
        input.value = value;
        send();
      },
    });
  }
  document.documentElement.setAttribute("data-attendance-ready", "");
})();
