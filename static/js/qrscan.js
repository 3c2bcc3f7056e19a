/* A QR code scanner with the phone's camera: BarcodeDetector where the browser has it, else
 * jsQR (loaded on demand from options.jsqrUrl) over frames drawn on a canvas.
 *
 * window.SafeCampusQrScanner.attach(options) wires a toggle button to the camera and calls
 * options.onCode(text) once per code seen (the same code again only after 10 seconds).
 * options: video, frame (the element shown while the camera runs), canvas, toggle (button
 * with data-open / data-close labels and a <span>), message (an alert element), jsqrUrl,
 * text {scanned, cameraReady, noCamera, cameraStarting, cameraRefused}, onCode(text),
 * onFailed() (the camera was refused or is missing: the typed code is the way),
 * autostart (default true). The camera stops when the page is hidden or left.
 *
 * window.SafeCampusPhone: what a page that records a scan or sign-in on a phone also needs —
 * isoNow() (the phone's clock, ISO 8601 with its UTC offset), locate(done, ms) (calls
 * done(position) once with the phone's position, or done(null) when it gives none within ms)
 * and newId() (a random UUID naming one scan or sign-in, the client_id the server stores once).
 */
(function () {
  "use strict";

  function attach(options) {
    var video = options.video, frame = options.frame, canvas = options.canvas;
    var toggle = options.toggle, cameraMessage = options.message, text = options.text || {};
    var stream = null;
    var detect = null;
    var lastValue = "";
    var lastAt = 0;
    var jsqrLoading = null;

    function say(message, kind) {
      if (!cameraMessage) return;
      cameraMessage.textContent = message;
      cameraMessage.className = "alert small mb-2 alert-" + (kind || "secondary");
      cameraMessage.hidden = !message;
    }

    function setToggle(open) {
      if (!toggle) return;
      toggle.querySelector("span").textContent = toggle.getAttribute(open ? "data-close" : "data-open");
      toggle.setAttribute("aria-pressed", open ? "true" : "false");
    }

    function loadJsqr() {
      if (window.jsQR) return Promise.resolve(window.jsQR);
      if (!jsqrLoading) {
        jsqrLoading = new Promise(function (resolve, reject) {
          var script = document.createElement("script");
          script.src = options.jsqrUrl;
          script.onload = function () { window.jsQR ? resolve(window.jsQR) : reject(new Error("jsQR")); };
          script.onerror = function () { reject(new Error("jsQR")); };
          document.head.appendChild(script);
        });
      }
      return jsqrLoading;
    }

    function jsqrDetector() {
      return loadJsqr().then(function (jsQR) {
        var context = canvas.getContext("2d", { willReadFrequently: true });
        return function () {
          var width = video.videoWidth, height = video.videoHeight;
          if (!width || !height) return Promise.resolve(null);
          var scale = Math.min(1, 640 / Math.max(width, height));
          canvas.width = Math.round(width * scale);
          canvas.height = Math.round(height * scale);
          context.drawImage(video, 0, 0, canvas.width, canvas.height);
          var image = context.getImageData(0, 0, canvas.width, canvas.height);
          var found = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
          return Promise.resolve(found ? found.data : null);
        };
      });
    }

    function detector() {
      if (!("BarcodeDetector" in window)) return jsqrDetector();
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") < 0) return jsqrDetector();
        var native = new window.BarcodeDetector({ formats: ["qr_code"] });
        return function () {
          return native.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
        };
      }).catch(jsqrDetector);
    }

    function tick() {
      if (!stream || !detect) return;
      detect().then(function (value) {
        var now = Date.now();
        if (value && (value !== lastValue || now - lastAt > 10000)) {
          lastValue = value;
          lastAt = now;
          options.onCode(value);
          say(text.scanned, "success");
          if (navigator.vibrate) navigator.vibrate(120);
          setTimeout(function () { if (stream) say(text.cameraReady); }, 2500);
        }
      }).catch(function () { /* a frame that could not be read: try the next one */ })
        .then(function () { if (stream) setTimeout(tick, 250); });
    }

    function stopCamera() {
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      if (video) video.srcObject = null;
      if (frame) frame.hidden = true;
      setToggle(false);
    }

    function startCamera() {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        say(text.noCamera, "warning");
        if (toggle) toggle.hidden = true;
        return;
      }
      say(text.cameraStarting);
      navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          frame.hidden = false;
          setToggle(true);
          return video.play();
        })
        .then(detector)
        .then(function (found) {
          detect = found;
          say(text.cameraReady);
          tick();
        })
        .catch(function () {
          stopCamera();
          say(text.cameraRefused, "warning");
          if (options.onFailed) options.onFailed();
        });
    }

    if (toggle && video) {
      toggle.addEventListener("click", function () { if (stream) stopCamera(); else startCamera(); });
      document.addEventListener("visibilitychange", function () { if (document.hidden) stopCamera(); });
      window.addEventListener("pagehide", stopCamera);
      if (options.autostart !== false) startCamera();
    }
    return { start: startCamera, stop: stopCamera };
  }

  window.SafeCampusQrScanner = { attach: attach };

  // The phone's clock now, ISO 8601 with its UTC offset (e.g. 2026-11-30T22:05:03.120+08:00).
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

  // done(position) once: the phone's position, or null when none comes within ms.
  function locate(done, ms) {
    var finished = false;
    function finish(position) {
      if (finished) return;
      finished = true;
      done(position);
    }
    setTimeout(function () { finish(null); }, ms);
    if (!navigator.geolocation) { finish(null); return; }
    try {
      navigator.geolocation.getCurrentPosition(finish, function () { finish(null); },
        { enableHighAccuracy: true, timeout: ms, maximumAge: 30000 });
    } catch (e) { finish(null); }
  }

  // A random (version 4) UUID; crypto.randomUUID needs HTTPS or localhost, getRandomValues not.
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  window.SafeCampusPhone = { isoNow: isoNow, locate: locate, newId: newId };
})();
