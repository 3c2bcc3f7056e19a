/* Signing in at a traffic duty post on a phone. Before the form goes out, the phone's time
 * (ISO 8601 with its offset) and, when the phone gives one within a few seconds, its position
 * are put into hidden fields. A code read by the camera (static/js/qrscan.js) is submitted at
 * once; a page opened from the post's QR code (auto: true) signs in once by itself. The form
 * carries a client_id made by the server when the page was drawn, so a double tap or a
 * resubmission stores one sign-in.
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

  function isoNow() {
    var d = new Date();
    var offset = -d.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    offset = Math.abs(offset);
    function p(n, w) { n = String(n); while (n.length < (w || 2)) n = "0" + n; return n; }
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" +
      p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds()) + "." +
      p(d.getMilliseconds(), 3) + sign + p(Math.floor(offset / 60)) + ":" + p(offset % 60);
  }

  function locate(done) {
    var finished = false;
    function finish(position) { if (!finished) { finished = true; done(position); } }
    setTimeout(function () { finish(null); }, LOCATE_MS);
    if (!navigator.geolocation) { finish(null); return; }
    try {
      navigator.geolocation.getCurrentPosition(finish, function () { finish(null); },
        { enableHighAccuracy: true, timeout: LOCATE_MS, maximumAge: 30000 });
    } catch (e) { finish(null); }
  }

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
