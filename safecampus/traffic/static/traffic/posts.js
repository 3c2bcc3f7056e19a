/* Signing in at a traffic duty post on a phone. Before the form goes out, the phone's time
 * (ISO 8601 with its offset) and, when the phone gives one within a few seconds, its position
 * are put into hidden fields (SafeCampusPhone in static/js/qrscan.js). A code read by the
 * camera (SafeCampusQrScanner, same file) is submitted at once; a page opened from the
 * post's QR code (auto: true) signs in once by itself. The form carries a client_id made by
 * the server when the page was drawn, so a double tap or a resubmission stores one sign-in.
 */
(function () {
  "use strict";

  var configEl = document.getElementById("post-sign-in-config");
  var form = document.getElementById("sign-in-form");
  if (!configEl || !form) return;
  var config = JSON.parse(configEl.textContent);
  var text = config.text || {};
  var LOCATE_MS = 4000;
  var sending = false;

  var isoNow = window.SafeCampusPhone.isoNow;  // static/js/qrscan.js
  function locate(done) { window.SafeCampusPhone.locate(done, LOCATE_MS); }

  function field(name) { return form.querySelector("[name=" + name + "]"); }

  function send(method) {
    if (sending) return;
    sending = true;
    field("signed_at").value = isoNow();
    if (method && !field("method").value) field("method").value = method;
    var status = document.getElementById("sign-in-status");
    if (status) status.hidden = false;
    var button = document.getElementById("sign-in-submit");
    if (button) button.disabled = true;
    locate(function (position) {
      if (position && position.coords) {
        field("latitude").value = position.coords.latitude.toFixed(6);
        field("longitude").value = position.coords.longitude.toFixed(6);
      }
      form.submit();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send(config.auto ? "qr" : "manual");
  });

  var toggle = document.getElementById("camera-toggle");
  var video = document.getElementById("scan-video");
  if (toggle && video && window.SafeCampusQrScanner) {
    window.SafeCampusQrScanner.attach({
      video: video, frame: document.getElementById("scan-camera"),
      canvas: document.getElementById("scan-canvas"), toggle: toggle,
      message: document.getElementById("camera-message"), jsqrUrl: config.jsqrUrl, text: text,
      autostart: false,
      onCode: function (value) {
        var input = field("code");
        if (!input || sending) return;
        input.value = value;
        field("method").value = "qr";
        send("qr");
      },
    });
  }
  if (config.auto) send("qr");
  document.documentElement.setAttribute("data-post-sign-in-ready", "");
})();
