/* The submit page: a signature pad (finger, pen or mouse) whose ink is sent as a PNG data URL
 * in the hidden "signature" field, and a warning when changes made offline on the run page
 * are still waiting in this phone's storage. */
(function () {
  "use strict";

  var canvas = document.getElementById("signature-pad");
  var form = document.getElementById("submit-form");
  if (!canvas || !form) return;
  var hidden = form.querySelector("input[name=signature]");
  var ctx = canvas.getContext("2d");
  var inked = false;
  var drawing = false;
  var last = null;

  function size() {
    var ratio = window.devicePixelRatio || 1;
    var rect = canvas.getBoundingClientRect();
    var keep = inked ? canvas.toDataURL("image/png") : null;
    canvas.width = Math.max(1, Math.round(rect.width * ratio));
    canvas.height = Math.max(1, Math.round(rect.height * ratio));
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.lineWidth = 2.5;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111";
    if (keep) drawImage(keep);
  }

  function drawImage(url) {
    var img = new Image();
    img.onload = function () {
      var rect = canvas.getBoundingClientRect();
      ctx.drawImage(img, 0, 0, rect.width, rect.height);
      inked = true;
      canvas.classList.add("is-signed");
    };
    img.src = url;
  }

  function point(event) {
    var rect = canvas.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  canvas.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    drawing = true;
    last = point(event);
    if (canvas.setPointerCapture) canvas.setPointerCapture(event.pointerId);
    ctx.beginPath();
    ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2);
    ctx.fillStyle = "#111";
    ctx.fill();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) return;
    event.preventDefault();
    var p = point(event);
    ctx.beginPath();
    ctx.moveTo(last.x, last.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    last = p;
    if (!inked) { inked = true; canvas.classList.add("is-signed"); }
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
    canvas.addEventListener(name, function () { drawing = false; });
  });

  document.getElementById("signature-clear").addEventListener("click", function () {
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.restore();
    inked = false;
    hidden.value = "";
    canvas.classList.remove("is-signed");
  });

  form.addEventListener("submit", function () {
    hidden.value = inked ? canvas.toDataURL("image/png") : "";
  });

  var width = 0;
  window.addEventListener("resize", function () {
    var now = canvas.getBoundingClientRect().width;
    if (now !== width) { width = now; size(); }
  });
  width = canvas.getBoundingClientRect().width;
  size();
  // The page came back with errors: the signature already given is shown again.
  if (hidden.value.indexOf("data:image/png;base64,") === 0) drawImage(hidden.value);

  // Changes still waiting on this phone (made offline on the run page)?
  var configEl = document.getElementById("submit-config");
  if (!configEl) return;
  var config = JSON.parse(configEl.textContent);
  try {
    var stored = JSON.parse(localStorage.getItem("sc-inspection-run:" + config.inspection) || "null");
    var count = stored ? Object.keys(stored.results || {}).length +
      (stored.photos || []).filter(function (p) { return !p.error; }).length : 0;
    if (count) {
      var box = document.getElementById("submit-pending");
      box.textContent = config.text.pending.replace("%(count)s", String(count));
      box.classList.remove("d-none");
    }
  } catch (e) { /* storage disabled: nothing can be waiting in it */ }
})();
