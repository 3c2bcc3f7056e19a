/* Scanning checkpoints on a phone: camera (BarcodeDetector, else jsQR) or the typed code,
 * an offline queue in localStorage, and the upload to the server.
 *
 * Every scan gets an id made here (client_id, a UUID), the phone's time (ISO 8601 with its
 * offset) and, when the phone gives one within a few seconds, its position. It goes into the
 * queue first (one localStorage key per user), then is uploaded as {"scans": [...]} to the
 * JSON endpoint. A scan leaves the queue only when the server has answered for it (created,
 * duplicate or refused); offline (navigator.onLine false, or fetch failing) it waits and is
 * sent on the "online" event, on a retry timer and when a page that loads this script is opened
 * (the scan page, a round, the patrol home), with its original time. The server stores each
 * client_id once, so a repeated upload is harmless. On the round page and the patrol home the
 * queue box (data-only-waiting) shows only while scans wait, or once they went up from there.
 */
(function () {
  "use strict";

  var configEl = document.getElementById("patrol-config");
  if (!configEl) return;
  var config = JSON.parse(configEl.textContent);
  var text = config.text;
  var queueKey = config.queueKey;
  var resultsKey = config.queueKey + ":results";
  var csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  var csrf = csrfInput ? csrfInput.value : "";
  var BATCH = 100;
  var LOCATE_MS = 4000;  // never hold a scan back longer than this for the position
  var KEEP_RESULTS = 20;

  var queueEl = document.getElementById("scan-queue");
  var queueText = document.getElementById("scan-queue-text");
  var queueIcon = queueEl ? queueEl.querySelector("[data-queue-icon]") : null;
  var resultsEl = document.getElementById("scan-results");
  var emptyEl = document.getElementById("scan-results-empty");
  var form = document.getElementById("manual-form");
  var problem = "";  // "", "offline", "server", "auth"
  var flushing = false;
  var again = false;
  var retryTimer = null;
  var retryDelay = 3000;
  var uploadedHere = false;  // this page sent scans (the round page's rows are then stale)

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) { return String(values[name]); });
  }

  var newId = window.SafeCampusPhone.newId;  // static/js/qrscan.js

  var isoNow = window.SafeCampusPhone.isoNow;  // static/js/qrscan.js

  // --- storage: always read-modify-write, so two open scan pages do not lose each other's scans
  function read(key) {
    try {
      var value = JSON.parse(localStorage.getItem(key) || "[]");
      return Array.isArray(value) ? value : [];
    } catch (e) { return []; }
  }

  function write(key, list) {
    try { localStorage.setItem(key, JSON.stringify(list)); } catch (e) { /* full: keep in page */ }
  }

  function updateQueue(change) {
    var list = change(read(queueKey));
    write(queueKey, list);
    return list;
  }

  // --- position ---------------------------------------------------------------------------
  function locate(done) { window.SafeCampusPhone.locate(done, LOCATE_MS); }

  // --- recording a scan -------------------------------------------------------------------
  function record(code) {
    var entry = {
      client_id: newId(), code: code, scanned_at: isoNow(), round_id: config.roundId,
      latitude: null, longitude: null, accuracy_m: null, locating: true, queued_at: Date.now(),
    };
    updateQueue(function (list) { list.push(entry); return list; });
    render();
    locate(function (position) {
      updateQueue(function (list) {
        list.forEach(function (e) {
          if (e.client_id !== entry.client_id) return;
          e.locating = false;
          if (position && position.coords) {
            e.latitude = Number(position.coords.latitude.toFixed(6));
            e.longitude = Number(position.coords.longitude.toFixed(6));
            e.accuracy_m = Math.round(position.coords.accuracy || 0);
          }
        });
        return list;
      });
      flush();
    });
    return entry;
  }

  function payload(entry) {
    return { client_id: entry.client_id, code: entry.code, scanned_at: entry.scanned_at,
             latitude: entry.latitude, longitude: entry.longitude, accuracy_m: entry.accuracy_m,
             round_id: entry.round_id };
  }

  // --- upload -----------------------------------------------------------------------------
  function flush() {
    if (flushing) { again = true; return; }
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    var ready = read(queueKey).filter(function (e) { return !e.locating; }).slice(0, BATCH);
    if (!ready.length) { problem = problem === "auth" ? "auth" : ""; render(); return; }
    if (navigator.onLine === false) { problem = "offline"; render(); return; }
    flushing = true;
    render("uploading");
    fetch(config.uploadUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ scans: ready.map(payload) }),
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) throw new Error("auth");
      if (!response.ok) throw new Error("server");
      return response.json();
    }).then(function (data) {
      var answered = {};
      (data.results || []).forEach(function (result, i) {
        if (ready[i]) answered[ready[i].client_id] = result;
      });
      updateQueue(function (list) { return list.filter(function (e) { return !answered[e.client_id]; }); });
      var kept = read(resultsKey);
      ready.forEach(function (e) {
        var result = answered[e.client_id];
        if (!result) return;
        kept = kept.filter(function (r) { return r.client_id !== e.client_id; });
        kept.unshift(Object.assign({ entered: e.code, scanned_at: e.scanned_at }, result,
                                   { client_id: e.client_id }));
      });
      write(resultsKey, kept.slice(0, KEEP_RESULTS));
      if (Object.keys(answered).length) uploadedHere = true;
      showRoundProgress(data.results || []);
      problem = "";
      retryDelay = 3000;
      flushing = false;
      render();
      if (again || read(queueKey).some(function (e) { return !e.locating; })) { again = false; flush(); }
    }).catch(function (error) {
      flushing = false;
      again = false;
      if (error && error.message === "auth") {
        problem = "auth";
      } else {
        problem = navigator.onLine === false ? "offline" : "server";
        retryTimer = setTimeout(flush, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 60000);
      }
      render();
    });
  }

  // --- the page ---------------------------------------------------------------------------
  // The header's "n of m scanned" of the page's round, from the server's answer (the round's
  // counts after the batch), so it moves with the scans below it.
  var progressEl = document.getElementById("round-progress");
  function showRoundProgress(results) {
    if (!progressEl) return;
    results.forEach(function (result) {
      var round = result && result.round;
      if (!round || String(round.id) !== progressEl.getAttribute("data-round")) return;
      progressEl.textContent = fmt(text.roundDone, { done: round.done, expected: round.expected });
      progressEl.setAttribute("data-done", String(round.done));
    });
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null) node.textContent = content;
    return node;
  }

  function icon(name) {
    var i = el("i", "bi " + name);
    i.setAttribute("aria-hidden", "true");
    return i;
  }

  // Every time on the page is campus time (Asia/Shanghai, from the server), whatever zone the
  // phone is set to: a queued scan shows the same time before and after its upload.
  var clockFormat = null;
  try {
    clockFormat = new Intl.DateTimeFormat("en-GB", { timeZone: config.timeZone || "Asia/Shanghai",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  } catch (e) { clockFormat = null; }

  function timeOf(iso) {
    var at = new Date(iso || "");
    if (isNaN(at.getTime())) return "";
    if (clockFormat) return clockFormat.format(at);
    // Without time-zone support: China has kept UTC+8 without summer time since 1991.
    return new Date(at.getTime() + 8 * 3600000).toISOString().slice(11, 19);
  }

  function queuedItem(entry) {
    var li = el("li", "list-group-item");
    li.setAttribute("data-status", "queued");
    li.setAttribute("data-client-id", entry.client_id);
    var top = el("div", "d-flex align-items-center gap-2");
    top.appendChild(icon("bi-cloud-arrow-up text-warning"));
    top.appendChild(el("span", "fw-semibold me-auto text-break", fmt(text.code, { code: entry.code.length > 40 ? entry.code.slice(0, 40) + "…" : entry.code })));
    top.appendChild(el("span", "small scan-time", timeOf(entry.scanned_at)));
    li.appendChild(top);
    li.appendChild(el("div", "small text-secondary", entry.locating ? text.locating : text.queued));
    return li;
  }

  function resultItem(result) {
    var li = el("li", "list-group-item");
    li.setAttribute("data-status", result.status);
    li.setAttribute("data-client-id", result.client_id);
    var top = el("div", "d-flex align-items-center gap-2");
    var icons = { created: "bi-check-circle-fill text-success", duplicate: "bi-check-circle text-secondary",
                  refused: "bi-x-octagon-fill text-danger" };
    top.appendChild(icon(icons[result.status] || "bi-question-circle"));
    var title = result.checkpoint || fmt(text.code, { code: (result.entered || "").slice(0, 40) });
    top.appendChild(el("span", "fw-semibold me-auto text-break", title));
    top.appendChild(el("span", "small scan-time", result.time || timeOf(result.scanned_at)));
    li.appendChild(top);
    var line = text[result.status] || result.status;
    if (result.status === "refused") {
      // Label and reason in their own elements: no ASCII colon between Chinese texts.
      var refusal = el("div", "small text-danger");
      refusal.appendChild(el("div", "fw-semibold", line));
      refusal.appendChild(el("div", "scan-refusal", result.error));
      li.appendChild(refusal);
    } else {
      if (result.timing_label) line += " · " + result.timing_label;
      li.appendChild(el("div", "small", line));
    }
    if (result.flags && result.flags.length) {
      li.appendChild(el("div", "small text-danger", fmt(text.flagged, { reasons: result.flags.join(", ") })));
    }
    if (result.round) {
      var round = el("div", "small text-secondary");
      round.appendChild(document.createTextNode(fmt(text.roundProgress, {
        round: result.round.sequence, done: result.round.done, expected: result.round.expected,
      }) + " · " + result.round.state_label + " · "));
      var link = el("a", "", text.openRound);
      link.href = result.round.url;
      round.appendChild(link);
      li.appendChild(round);
    }
    return li;
  }

  function render(state) {
    var queue = read(queueKey);
    var results = read(resultsKey);
    var count = queue.length;
    if (queueEl) {
      var shown = state || (count ? (problem || "waiting") : (problem === "auth" ? "auth" : "idle"));
      queueEl.setAttribute("data-state", shown);
      queueEl.setAttribute("data-count", String(count));
      var onlyWaiting = queueEl.hasAttribute("data-only-waiting");
      var detail = shown === "offline" ? text.offline : shown === "uploading" ? text.uploading
        : shown === "server" ? text.retrying : shown === "auth" ? text.signedOut : "";
      var headline = count ? fmt(count === 1 ? text.waitingOne : text.waitingMany, { count: count })
        : (detail || text.allUploaded);
      queueText.querySelector("[data-queue-count]").textContent = headline;
      // Uploaded from a page whose figures the server drew before: say how to see them.
      var note = onlyWaiting && uploadedHere && shown === "idle" ? text.reloadToSee : "";
      queueText.querySelector("[data-queue-detail]").textContent = headline === detail ? "" : (detail || note);
      if (onlyWaiting) queueEl.hidden = !(count || shown !== "idle" || uploadedHere);
      if (queueIcon) {
        queueIcon.className = "bi fs-5 " + (shown === "idle" ? "bi-cloud-check text-success"
          : shown === "offline" || shown === "auth" ? "bi-wifi-off text-danger" : "bi-cloud-arrow-up text-warning");
      }
    }
    if (resultsEl) {
      resultsEl.innerHTML = "";
      queue.slice().reverse().forEach(function (entry) { resultsEl.appendChild(queuedItem(entry)); });
      results.slice(0, 10).forEach(function (result) { resultsEl.appendChild(resultItem(result)); });
      if (emptyEl) emptyEl.hidden = queue.length + results.length > 0;
    }
  }

  // --- typed codes ------------------------------------------------------------------------
  var input = form ? form.querySelector("input[name=code]") : null;
  var error = document.getElementById("manual-error");

  // The "type the code" message goes with the next attempt: typing, a typed code or a camera
  // scan. (d-block shows it outside the input group; it would beat the hidden attribute.)
  function clearError() {
    if (error) { error.textContent = ""; error.hidden = true; error.classList.remove("d-block"); }
    if (input) input.classList.remove("is-invalid");
  }

  function scanned(code) {
    clearError();
    return record(code);
  }

  if (form && input) {
    input.addEventListener("input", function () { if (input.value.trim()) clearError(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var code = input.value.trim();
      if (!code) {
        error.textContent = text.emptyCode;
        error.hidden = false;
        error.classList.add("d-block");
        input.classList.add("is-invalid");
        input.focus();
        return;
      }
      scanned(code);
      input.value = "";
      input.focus();
    });
  }

  // --- the camera (static/js/qrscan.js) ----------------------------------------------------
  var toggle = document.getElementById("camera-toggle");
  var video = document.getElementById("scan-video");

  // Without a camera the typed code is the way: the camera button steps back (it stays, to
  // try again once the guard has allowed the camera).
  function cameraFailed() {
    if (!toggle) return;
    toggle.classList.remove("btn-primary", "btn-lg", "patrol-scan-button");
    toggle.classList.add("btn-outline-secondary");
  }

  if (toggle && video && window.SafeCampusQrScanner) {
    window.SafeCampusQrScanner.attach({
      video: video, frame: document.getElementById("scan-camera"),
      canvas: document.getElementById("scan-canvas"), toggle: toggle,
      message: document.getElementById("camera-message"), jsqrUrl: config.jsqrUrl, text: text,
      onCode: scanned, onFailed: cameraFailed,
    });
  }

  // --- start ------------------------------------------------------------------------------
  // Scans left "locating" by a page that was closed go out without a position.
  updateQueue(function (list) { list.forEach(function (e) { e.locating = false; }); return list; });
  if (config.code) {
    // Opened from a sticker: one scan per opening (a reload within two minutes adds none).
    var recent = read(queueKey).concat(read(resultsKey)).some(function (e) {
      return (e.code === config.code || e.entered === config.code) &&
        Date.now() - new Date(e.scanned_at).getTime() < 120000;
    });
    if (!recent) record(config.code);
  }
  window.addEventListener("online", function () { problem = ""; flush(); });
  window.addEventListener("offline", function () { problem = "offline"; render(); });
  window.addEventListener("storage", function (event) { if (event.key === queueKey || event.key === resultsKey) render(); });
  render();
  flush();
  document.documentElement.setAttribute("data-patrol-ready", "");
})();
