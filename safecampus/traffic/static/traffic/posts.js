/* Signing in at a traffic duty post on a phone. When the guard taps the sign-in button (or
 * the camera reads a code on the sign-in page), the phone's time (ISO 8601 with its offset),
 * its position when it gives one within a few seconds, and a new id of this sign-in
 * (client_id) are put into hidden fields (SafeCampusPhone in static/js/qrscan.js) and the
 * form goes out. Nothing is sent without a tap or a scan: the page of a post's QR link
 * (/traffic/p/<code>/) only shows the post and its button, so a link preview or a prefetch
 * signs nobody in. The id is made once per tap: a double tap, or the browser sending the
 * form again after a failed connection, stores one sign-in; a new tap after coming back to
 * the page is a new sign-in. Without this script the form carries the server's id.
 */
(function () {
  "use strict";

  var form = document.getElementById("sign-in-form");
  if (!form) return;
  var configEl = document.getElementById("post-sign-in-config");
  var config = configEl ? JSON.parse(configEl.textContent) : {};
  var text = config.text || {};
  var LOCATE_MS = 4000;
  var sending = false;

  var phone = window.SafeCampusPhone;  // static/js/qrscan.js
  function locate(done) { phone.locate(done, LOCATE_MS); }

  function field(name) { return form.querySelector("[name=" + name + "]"); }

  function send(method) {
    if (sending) return;
    sending = true;
    field("client_id").value = phone.newId();
    field("signed_at").value = phone.isoNow();
    if (method) field("method").value = method;
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
    // a typed code is "manual" unless the camera read it; a QR link page says "qr" itself
    send(field("method").value || "manual");
  });

  // Back to the page from the browser's history: ready for a new tap.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    sending = false;
    if (field("code")) field("method").value = "";
    var button = document.getElementById("sign-in-submit");
    if (button) button.disabled = false;
    var status = document.getElementById("sign-in-status");
    if (status) status.hidden = true;
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
        send("qr");
      },
    });
  }
  document.documentElement.setAttribute("data-post-sign-in-ready", "");
})();
