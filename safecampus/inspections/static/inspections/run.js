/* The inspection run page: every answer is saved at once, and nothing is lost offline.
 *
 * Each change (outcome, note, fixed on the spot) is put in a queue kept in localStorage
 * (one key per inspection) and sent with fetch to the item's JSON endpoint; an entry leaves
 * the queue only when the server has stored it. Photos get an id made here (client_id), so a
 * retry of an upload whose answer was lost stores nothing twice. When the network is gone the
 * queue waits and is sent again on the "online" event, on a retry timer, or when the page is
 * opened again. The page itself shows what the server has; queued changes are laid over it.
 */
(function () {
  "use strict";

  var configEl = document.getElementById("run-config");
  if (!configEl) return;
  var config = JSON.parse(configEl.textContent);
  var text = config.text;
  var storageKey = "sc-inspection-run:" + config.inspection;
  var csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  var csrf = csrfInput ? csrfInput.value : "";
  var statusEl = document.getElementById("run-status");
  var statusText = statusEl.querySelector("[data-status-text]");
  var statusIcon = statusEl.querySelector(".bi");
  var answeredEl = document.getElementById("run-answered");
  var progressEl = document.getElementById("run-progress");
  var progressBar = document.getElementById("run-progress-bar");
  var blockedEl = document.getElementById("run-blocked");
  var noticeEl = document.getElementById("run-notice");

  var queue = { rowVersion: config.rowVersion, results: {}, photos: [] };
  var memoryFiles = {};  // client_id → File, for photos too large to keep in localStorage
  var typing = {};  // item id → timer of a note being typed (sent after a pause)
  var confirmed = {};  // item id → the values the server last confirmed (JSON)
  var seq = 0;
  var flushing = false;
  var again = false;
  var blocked = false;
  var lastProblem = "";  // "", "network", "server", "auth"
  var retryTimer = null;
  var retryDelay = 2000;

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) { return String(values[name]); });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // --- the queue in localStorage ---------------------------------------------------------
  function save() {
    try {
      localStorage.setItem(storageKey, JSON.stringify(queue));
    } catch (e) {
      // Full or disabled storage: drop the stored copies of photos first (they stay in memory).
      var slim = { rowVersion: queue.rowVersion, results: queue.results,
                   photos: queue.photos.map(function (p) { return Object.assign({}, p, { dataUrl: null }); }) };
      queue.photos.forEach(function (p) { if (p.dataUrl) markStored(p.clientId, false); });
      try { localStorage.setItem(storageKey, JSON.stringify(slim)); } catch (e2) { /* memory only */ }
    }
  }

  function load() {
    var raw = null;
    try { raw = localStorage.getItem(storageKey); } catch (e) { return; }
    if (!raw) return;
    var stored;
    try { stored = JSON.parse(raw); } catch (e) { return; }
    var count = Object.keys(stored.results || {}).length + (stored.photos || []).length;
    if (stored.rowVersion !== config.rowVersion) {
      // Left over from before the inspection was submitted (and sent back or reopened):
      // those answers were superseded; say so instead of sending them over newer ones.
      if (count) showNotice(fmt(text.stale, { count: count }));
      try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ }
      return;
    }
    queue.results = stored.results || {};
    queue.photos = (stored.photos || []).filter(function (p) { return p.dataUrl || p.error; });
    Object.keys(queue.results).forEach(function (itemId) {
      var entry = queue.results[itemId];
      seq = Math.max(seq, entry.seq || 0);
      var card = cardOf(itemId);
      if (card) applyToCard(card, entry);
    });
    queue.photos.forEach(function (p) {
      var card = cardOf(p.itemId);
      if (card) addPendingTile(card, p, p.dataUrl);
    });
  }

  function pendingCount() {
    return Object.keys(queue.results).length + Object.keys(typing).length +
      queue.photos.filter(function (p) { return !p.error; }).length;
  }

  // --- cards ----------------------------------------------------------------------------------
  function cardOf(itemId) { return document.querySelector(".run-item[data-item='" + itemId + "']"); }

  function field(card, name) { return card.querySelector("[data-field=" + name + "]"); }

  function setOutcome(card, outcome) {
    card.setAttribute("data-outcome", outcome || "");
    card.querySelectorAll(".run-outcomes .btn").forEach(function (btn) {
      var on = btn.getAttribute("data-outcome") === outcome;
      var variant = btn.getAttribute("data-variant");
      btn.setAttribute("aria-pressed", on ? "true" : "false");
      btn.classList.toggle("btn-" + variant, on);
      btn.classList.toggle("btn-outline-" + variant, !on);
    });
    var fail = card.querySelector("[data-fail]");
    if (fail) fail.hidden = outcome !== "fails";
    if (outcome !== "fails") card.querySelector("[data-repeat]").hidden = true;
  }

  function setFixed(card, fixed) {
    var box = card.querySelector("[data-fixed]");
    var toggle = field(card, "fixed_on_spot");
    if (toggle) toggle.checked = !!fixed;
    if (box) box.hidden = !fixed;
  }

  function applyToCard(card, entry) {
    setOutcome(card, entry.outcome);
    if (field(card, "note")) field(card, "note").value = entry.note || "";
    if (field(card, "fix_note")) field(card, "fix_note").value = entry.fix_note || "";
    setFixed(card, entry.fixed_on_spot);
    setItemState(card, "waiting");
  }

  function readCard(card) {
    var fixed = field(card, "fixed_on_spot");
    return {
      outcome: card.getAttribute("data-outcome") || "",
      note: field(card, "note") ? field(card, "note").value : "",
      fixed_on_spot: !!(fixed && fixed.checked),
      fix_note: field(card, "fix_note") ? field(card, "fix_note").value : "",
    };
  }

  function setItemState(card, state, message) {
    var el = card.querySelector("[data-item-state]");
    var icons = { saved: "bi-check-circle text-success", waiting: "bi-cloud-arrow-up text-secondary",
                  error: "bi-exclamation-circle text-danger" };
    el.innerHTML = "";
    if (state && icons[state]) {
      var i = document.createElement("i");
      i.className = "bi " + icons[state];
      i.setAttribute("aria-hidden", "true");
      el.appendChild(i);
    }
    var error = card.querySelector("[data-item-error]");
    error.textContent = message || "";
    error.hidden = !message;
  }

  function queueResult(card) {
    var values = readCard(card);
    if (!values.outcome) return;
    var id = card.getAttribute("data-item");
    if (typing[id]) { clearTimeout(typing[id]); delete typing[id]; }
    if (!queue.results[id] && confirmed[id] === JSON.stringify(values)) {
      updateStatus();  // the server has exactly this already (e.g. a change event on blur)
      return;
    }
    seq += 1;
    values.seq = seq;
    queue.results[id] = values;
    setItemState(card, "waiting");
    save();
    updateProgress();
    updateStatus();
    flushSoon(0);
  }

  // --- photo tiles -----------------------------------------------------------------------------
  function photoBox(card, stage) { return card.querySelector("[data-photos=" + stage + "]"); }

  function addPendingTile(card, entry, src) {
    var box = photoBox(card, entry.stage);
    if (!box) return;
    var figure = document.createElement("figure");
    figure.className = "run-photo is-pending";
    figure.setAttribute("data-client-id", entry.clientId);
    var img = document.createElement("img");
    img.alt = entry.name || "";
    if (src) img.src = src;
    figure.appendChild(img);
    var remove = button("btn btn-light btn-sm run-photo-remove", "bi-x-lg", text.remove, true);
    remove.addEventListener("click", function () { dropPhoto(entry.clientId); });
    figure.appendChild(remove);
    var caption = document.createElement("figcaption");
    figure.appendChild(caption);
    box.appendChild(figure);
    paintTile(entry);
  }

  function button(className, icon, label, iconOnly) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = className;
    var i = document.createElement("i");
    i.className = "bi " + icon;
    i.setAttribute("aria-hidden", "true");
    b.appendChild(i);
    var span = document.createElement("span");
    span.textContent = " " + label;
    if (iconOnly) { span.className = "visually-hidden"; b.title = label; }
    b.appendChild(span);
    return b;
  }

  function tileOf(clientId) { return document.querySelector(".run-photo[data-client-id='" + clientId + "']"); }

  function paintTile(entry, state) {
    var tile = tileOf(entry.clientId);
    if (!tile) return;
    var caption = tile.querySelector("figcaption");
    var old = tile.querySelector(".btn-retry");
    if (old) old.remove();
    tile.classList.toggle("is-refused", !!entry.error);
    tile.classList.toggle("is-failed", state === "failed");
    if (entry.error) {
      caption.textContent = entry.error;
    } else if (state === "uploading") {
      caption.textContent = text.photoUploading;
    } else if (state === "failed") {
      caption.textContent = text.photoFailed + (entry.dataUrl ? " · " + text.photoStored : " · " + text.photoMemory);
      var retry = button("btn btn-outline-danger btn-sm btn-retry", "bi-arrow-clockwise", text.retry);
      retry.addEventListener("click", function () { retryDelay = 2000; flushSoon(0); });
      tile.appendChild(retry);
    } else {
      caption.textContent = text.photoWaiting;
    }
  }

  function markStored(clientId, stored) {
    var entry = queue.photos.filter(function (p) { return p.clientId === clientId; })[0];
    if (entry && !stored) entry.dataUrl = null;
  }

  function dropPhoto(clientId) {
    queue.photos = queue.photos.filter(function (p) { return p.clientId !== clientId; });
    delete memoryFiles[clientId];
    var tile = tileOf(clientId);
    if (tile) tile.remove();
    save();
    updateStatus();
  }

  function addPhotos(card, input) {
    var stage = input.getAttribute("data-stage");
    var itemId = card.getAttribute("data-item");
    Array.prototype.forEach.call(input.files, function (file) {
      var entry = { clientId: newId(), itemId: itemId, stage: stage, name: file.name,
                    type: file.type || "application/octet-stream", dataUrl: null, error: null };
      memoryFiles[entry.clientId] = file;
      queue.photos.push(entry);
      var preview = /^image\/(jpeg|png|webp|gif)$/i.test(file.type) ? URL.createObjectURL(file) : "";
      addPendingTile(card, entry, preview);
      // Keep a copy on the phone so a closed tab does not lose it (if it fits).
      if (file.size <= 1.5 * 1024 * 1024 && window.FileReader) {
        var reader = new FileReader();
        reader.onload = function () {
          if (!memoryFiles[entry.clientId]) return;  // already sent or removed
          entry.dataUrl = reader.result;
          save();
          paintTile(entry);
        };
        reader.readAsDataURL(file);
      }
    });
    input.value = "";
    save();
    updateStatus();
    flushSoon(0);
  }

  function blobOf(entry) {
    if (memoryFiles[entry.clientId]) return memoryFiles[entry.clientId];
    if (!entry.dataUrl) return null;
    var parts = entry.dataUrl.split(",");
    var binary = atob(parts[1]);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new Blob([bytes], { type: entry.type });
  }

  function savedTile(tile, data) {
    tile.className = "run-photo";
    tile.setAttribute("data-photo-id", data.id);
    tile.innerHTML = "";
    var link = document.createElement("a");
    link.href = data.full;
    link.target = "_blank";
    link.rel = "noopener";
    var img = document.createElement("img");
    img.src = data.thumb;
    img.alt = "";
    link.appendChild(img);
    tile.appendChild(link);
    var remove = button("btn btn-light btn-sm run-photo-remove", "bi-trash", text.remove, true);
    remove.setAttribute("data-photo-delete", data.delete);
    tile.appendChild(remove);
  }

  // --- sending -------------------------------------------------------------------------------
  function post(url, body) {
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (type.indexOf("application/json") === -1) {
        return { status: response.status, data: null };
      }
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    });
  }

  // Classify an answer: "ok", "refused" (the server said no; retrying will not help),
  // "conflict" (no longer in progress), "auth" (signed out / stale token), "server" (try later).
  function kind(answer) {
    if (answer.data && answer.data.ok) return "ok";
    if (answer.status === 409) return "conflict";
    if (!answer.data || answer.status === 401) return answer.status >= 500 ? "server" : "auth";
    if (answer.status >= 500) return "server";
    return "refused";
  }

  function block(message) {
    blocked = true;
    blockedEl.textContent = message;
    blockedEl.classList.remove("d-none");
    document.querySelectorAll(".run-item button, .run-item textarea, .run-item input").forEach(function (el) {
      el.disabled = true;
    });
  }

  function showNotice(message) {
    noticeEl.textContent = message;
    noticeEl.classList.remove("d-none");
  }

  function sendResult(itemId) {
    var entry = queue.results[itemId];
    var body = new FormData();
    body.append("outcome", entry.outcome);
    body.append("note", entry.note || "");
    if (entry.fixed_on_spot) body.append("fixed_on_spot", "on");
    body.append("fix_note", entry.fix_note || "");
    return post(config.itemsUrl + itemId + "/", body).then(function (answer) {
      var card = cardOf(itemId);
      var result = kind(answer);
      var current = queue.results[itemId];
      var unchanged = current && current.seq === entry.seq;
      if (result === "ok") {
        confirmed[itemId] = JSON.stringify({ outcome: entry.outcome, note: entry.note,
                                             fixed_on_spot: entry.fixed_on_spot, fix_note: entry.fix_note });
        if (unchanged) delete queue.results[itemId];
        if (card) {
          if (unchanged) setItemState(card, "saved");
          card.querySelector("[data-repeat]").hidden = !(answer.data.is_repeat && entry.outcome === "fails");
        }
      } else if (result === "refused") {
        if (unchanged) delete queue.results[itemId];
        if (card) setItemState(card, "error", answer.data.error);
      } else if (result === "conflict") {
        block((answer.data && answer.data.error) || text.notInProgress);
      }
      save();
      return result;
    });
  }

  function sendPhoto(entry) {
    var blob = blobOf(entry);
    if (!blob) return Promise.resolve("skip");
    var body = new FormData();
    body.append("client_id", entry.clientId);
    body.append("stage", entry.stage);
    body.append("photo", blob, entry.name || "photo.jpg");
    paintTile(entry, "uploading");
    return post(config.itemsUrl + entry.itemId + "/photos/", body).then(function (answer) {
      var result = kind(answer);
      if (result === "ok") {
        queue.photos = queue.photos.filter(function (p) { return p.clientId !== entry.clientId; });
        delete memoryFiles[entry.clientId];
        var tile = tileOf(entry.clientId);
        if (tile) savedTile(tile, answer.data);
      } else if (result === "refused") {
        entry.error = answer.data.error;
        entry.dataUrl = null;  // refused: nothing to send again; the message stays visible
        paintTile(entry);
      } else if (result === "conflict") {
        block((answer.data && answer.data.error) || text.notInProgress);
      } else {
        paintTile(entry, "failed");
      }
      save();
      return result;
    }, function (error) {
      paintTile(entry, "failed");
      throw error;
    });
  }

  function nextJob() {
    var ids = Object.keys(queue.results);
    if (ids.length) return function () { return sendResult(ids[0]); };
    var photo = queue.photos.filter(function (p) {
      return !p.error && !queue.results[p.itemId] && blobOf(p);
    })[0];
    if (photo) return function () { return sendPhoto(photo); };
    return null;
  }

  function flush() {
    if (blocked) return;
    if (flushing) { again = true; return; }
    flushing = true;
    updateStatus();
    (function step() {
      var job = nextJob();
      if (!job) return finish("");
      job().then(function (result) {
        if (result === "ok" || result === "refused" || result === "skip") {
          lastProblem = "";
          retryDelay = 2000;
          updateStatus();
          return step();
        }
        finish(result === "conflict" ? "" : result);
      }, function () { finish("network"); });
    })();
  }

  function finish(problem) {
    flushing = false;
    lastProblem = problem;
    if (problem === "network" || problem === "server" || problem === "auth") {
      queue.photos.forEach(function (p) { if (!p.error) paintTile(p, "failed"); });
      scheduleRetry();
    } else if (again) {
      again = false;
      flushSoon(0);
    }
    updateStatus();
  }

  function scheduleRetry() {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  function flushSoon(delay) {
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    setTimeout(flush, delay);
  }

  // --- status and progress ---------------------------------------------------------------------
  function updateStatus() {
    var count = pendingCount();
    var state, message, icon;
    if (count === 0 && !flushing) {
      state = "saved"; message = text.saved; icon = "bi-cloud-check";
    } else if (lastProblem === "network" || navigator.onLine === false) {
      state = "offline"; message = fmt(text.offline, { count: count }); icon = "bi-wifi-off";
    } else if (lastProblem === "auth") {
      state = "waiting"; message = text.signedOut; icon = "bi-exclamation-triangle";
    } else if (lastProblem) {
      state = "waiting"; message = fmt(text.waiting, { count: count }); icon = "bi-exclamation-triangle";
    } else {
      state = "saving"; message = text.saving; icon = "bi-arrow-repeat";
    }
    statusEl.setAttribute("data-state", state);
    statusEl.setAttribute("data-pending", String(count));
    statusText.textContent = message;
    statusIcon.className = "bi " + icon;
  }

  function updateProgress() {
    var cards = document.querySelectorAll(".run-item");
    var answered = 0;
    cards.forEach(function (card) { if (card.getAttribute("data-outcome")) answered += 1; });
    var total = cards.length || config.total;
    answeredEl.textContent = fmt(text.answered, { answered: answered, total: total });
    progressEl.setAttribute("aria-valuenow", String(answered));
    progressBar.style.width = (total ? Math.round(answered * 100 / total) : 0) + "%";
  }

  // --- wiring ----------------------------------------------------------------------------------
  // Typing is sent after a short pause; until then the status does not say "saved".
  function debounce(fn, wait) {
    return function (card) {
      var id = card.getAttribute("data-item");
      clearTimeout(typing[id]);
      typing[id] = setTimeout(function () { delete typing[id]; fn(card); }, wait);
      updateStatus();
    };
  }
  var queueTyped = debounce(queueResult, 700);

  document.querySelectorAll(".run-item").forEach(function (card) {
    card.querySelectorAll(".run-outcomes .btn").forEach(function (btn) {
      btn.addEventListener("click", function () {
        setOutcome(card, btn.getAttribute("data-outcome"));
        queueResult(card);
      });
    });
    ["note", "fix_note"].forEach(function (name) {
      var el = field(card, name);
      if (!el) return;
      el.addEventListener("input", function () { queueTyped(card); });
      el.addEventListener("change", function () { queueResult(card); });
    });
    var fixed = field(card, "fixed_on_spot");
    if (fixed) fixed.addEventListener("change", function () {
      setFixed(card, fixed.checked);
      queueResult(card);
    });
    card.querySelectorAll("input[type=file]").forEach(function (input) {
      input.addEventListener("change", function () { addPhotos(card, input); });
    });
    card.addEventListener("click", function (event) {
      var remove = event.target.closest("[data-photo-delete]");
      if (!remove) return;
      remove.disabled = true;
      post(remove.getAttribute("data-photo-delete"), new FormData()).then(function (answer) {
        var result = kind(answer);
        if (result === "ok") remove.closest(".run-photo").remove();
        else {
          remove.disabled = false;
          if (result === "conflict") block(answer.data.error);
          else setItemState(card, "error", (answer.data && answer.data.error) || text.signedOut);
        }
      }, function () {
        remove.disabled = false;
        updateStatus();
      });
    });
  });

  // Finishing needs the server: offline, stay on this page (and keep the answers) instead of
  // opening a page the phone cannot load.
  var finishLink = document.getElementById("run-finish");
  if (finishLink) {
    finishLink.addEventListener("click", function (event) {
      if (navigator.onLine === false) {
        event.preventDefault();
        updateStatus();
        window.alert(text.finishOffline);
      }
    });
  }

  window.addEventListener("online", function () { retryDelay = 2000; flushSoon(0); });
  window.addEventListener("offline", updateStatus);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && pendingCount()) flushSoon(0);
  });
  window.addEventListener("beforeunload", function (event) {
    // Photos kept only in memory (too large for the phone's storage) would be lost.
    var unsaved = queue.photos.some(function (p) { return !p.error && !p.dataUrl && memoryFiles[p.clientId]; });
    if (unsaved) { event.preventDefault(); event.returnValue = ""; }
  });

  document.querySelectorAll(".run-item").forEach(function (card) {
    setOutcome(card, card.getAttribute("data-outcome"));
    if (card.getAttribute("data-outcome")) confirmed[card.getAttribute("data-item")] = JSON.stringify(readCard(card));
  });
  load();
  updateProgress();
  updateStatus();
  document.documentElement.setAttribute("data-run-ready", "");
  if (pendingCount()) flushSoon(0);
})();
