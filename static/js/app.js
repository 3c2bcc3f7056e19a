/* SafeCampus page behaviour. Loaded on every page; no inline scripts (CSP). */
(function () {
  "use strict";

  // Django marks an empty choice "---------"; say "Choose…" in the page's language instead.
  function labelEmptyChoices() {
    var label = document.body.getAttribute("data-choose-label");
    if (!label) return;
    document.querySelectorAll("select option[value='']").forEach(function (option) {
      if (/^-+$/.test(option.textContent.trim())) option.textContent = label;
    });
  }

  // Cascading place picker: campus → building → place, from #place-picker-data.
  function setupPlacePicker() {
    var dataEl = document.getElementById("place-picker-data");
    var campus = document.querySelector("[data-picker=campus]");
    if (!dataEl || !campus) return;
    var data = JSON.parse(dataEl.textContent);
    var building = document.querySelector("[data-picker=building]");
    var place = document.querySelector("[data-picker=place]");
    function fill(select, rows, keep) {
      if (!select) return;
      var current = keep ? select.value : "";
      var first = select.options[0] ? select.options[0].cloneNode(true) : new Option("---------", "");
      select.innerHTML = "";
      select.appendChild(first);
      rows.forEach(function (r) { select.appendChild(new Option(r.label, String(r.id))); });
      if (current && rows.some(function (r) { return String(r.id) === current; })) select.value = current;
    }
    function refresh(keep) {
      var c = campus.value;
      var b = building ? building.value : "";
      fill(building, data.buildings.filter(function (r) { return String(r[1]) === c; })
        .map(function (r) { return { id: r[0], label: r[2] }; }), keep);
      b = building ? building.value : "";
      fill(place, data.places.filter(function (r) {
        return String(r[1]) === c && (!b || String(r[2]) === b);
      }).map(function (r) { return { id: r[0], label: r[3] }; }), keep);
    }
    campus.addEventListener("change", function () { refresh(false); });
    if (building) building.addEventListener("change", function () {
      var c = campus.value, b = building.value;
      fill(place, data.places.filter(function (r) {
        return String(r[1]) === c && (!b || String(r[2]) === b);
      }).map(function (r) { return { id: r[0], label: r[3] }; }), false);
    });
    // Choosing a place first (all places of the campus are listed) fills in its building.
    if (place && building) place.addEventListener("change", function () {
      var row = data.places.filter(function (r) { return String(r[0]) === place.value; })[0];
      if (row && row[2] !== null && String(row[2]) !== building.value) {
        var chosen = place.value;
        building.value = String(row[2]);
        building.dispatchEvent(new Event("change"));
        place.value = chosen;
      }
    });
    refresh(true);
  }

  function formatSize(bytes) {
    if (bytes >= 1024 * 1024) return (bytes / 1024 / 1024).toFixed(1) + " MB";
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  // Photo inputs: show what was chosen (thumbnail, name, size) before anything is sent.
  // Browsers other than Safari cannot draw HEIC, so those get an icon instead of a picture.
  function setupPhotoPreview() {
    document.querySelectorAll("[data-photo-field]").forEach(function (box) {
      var input = box.querySelector("input[type=file]");
      var preview = box.querySelector("[data-photo-preview]");
      if (!input || !preview || !window.URL || !URL.createObjectURL) return;
      var urls = [];
      input.addEventListener("change", function () {
        urls.forEach(function (u) { URL.revokeObjectURL(u); });
        urls = [];
        preview.innerHTML = "";
        Array.prototype.forEach.call(input.files, function (file) {
          var figure = document.createElement("figure");
          figure.className = "photo-preview-item";
          var drawable = /^image\/(jpeg|png|webp|gif)$/i.test(file.type);
          if (drawable) {
            var img = document.createElement("img");
            var url = URL.createObjectURL(file);
            urls.push(url);
            img.alt = "";
            img.addEventListener("error", function () {
              img.replaceWith(icon("bi-file-earmark-x"));
            });
            img.src = url;
            figure.appendChild(img);
          } else {
            figure.appendChild(icon("bi-file-earmark-image"));
          }
          var caption = document.createElement("figcaption");
          caption.textContent = file.name + " · " + formatSize(file.size);
          figure.appendChild(caption);
          preview.appendChild(figure);
        });
      });
    });
  }

  function icon(name) {
    var span = document.createElement("span");
    span.className = "photo-preview-icon bi " + name;
    span.setAttribute("aria-hidden", "true");
    return span;
  }

  // Campus map: the map of the chosen campus is shown; a tap sets map_x/map_y in percent.
  function setupCampusMap() {
    var maps = document.querySelectorAll("[data-campus-map]");
    var campus = document.querySelector("[data-picker=campus]");
    var x = document.querySelector("input[name=map_x]");
    var y = document.querySelector("input[name=map_y]");
    if (!maps.length || !campus || !x || !y) return;
    function pin(box) {
      var p = box.querySelector(".campus-map-pin");
      if (x.value === "" || y.value === "") { p.hidden = true; return; }
      p.style.left = x.value + "%";
      p.style.top = y.value + "%";
      p.hidden = false;
    }
    function show() {
      maps.forEach(function (box) {
        box.hidden = box.getAttribute("data-campus-map") !== campus.value;
        if (!box.hidden) pin(box);
      });
    }
    maps.forEach(function (box) {
      var img = box.querySelector("img");
      img.addEventListener("click", function (event) {
        var rect = img.getBoundingClientRect();
        var px = (event.clientX - rect.left) / rect.width * 100;
        var py = (event.clientY - rect.top) / rect.height * 100;
        x.value = Math.min(100, Math.max(0, px)).toFixed(2);
        y.value = Math.min(100, Math.max(0, py)).toFixed(2);
        pin(box);
      });
    });
    campus.addEventListener("change", function () { x.value = ""; y.value = ""; show(); });
    show();
  }

  // A form submits once: a second tap while the first is on its way is dropped, and the
  // button is disabled (the server also de-duplicates by idempotency key, for flaky networks
  // and retries). Coming back to the page with the Back button makes it usable again.
  function setupSubmitOnce() {
    var forms = document.querySelectorAll("form[data-once]");
    // Back, then send again: the browser re-renders the form with a fresh idempotency key but
    // refills what was typed. Reuse the key this tab had for the page, so the server returns
    // the record it already made instead of a second one. A new visit gets a new key.
    var nav = window.performance && performance.getEntriesByType ?
      performance.getEntriesByType("navigation")[0] : null;
    var cameBack = nav && nav.type === "back_forward";
    forms.forEach(function (form, index) {
      var key = form.querySelector("input[name=idempotency_key]");
      if (key && window.sessionStorage) {
        var slot = "idempotency:" + location.pathname + ":" + index;
        try {
          if (cameBack && sessionStorage.getItem(slot)) key.value = sessionStorage.getItem(slot);
          else sessionStorage.setItem(slot, key.value);
        } catch (e) { /* storage disabled: the server still de-duplicates retries */ }
      }
    });
    forms.forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.hasAttribute("data-submitting")) { event.preventDefault(); return; }
        form.setAttribute("data-submitting", "");
        form.querySelectorAll("[data-submit-once]").forEach(function (btn) {
          window.setTimeout(function () { btn.disabled = true; }, 0);
        });
      });
    });
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) return;
      forms.forEach(function (form) {
        form.removeAttribute("data-submitting");
        form.querySelectorAll("[data-submit-once]").forEach(function (btn) { btn.disabled = false; });
      });
    });
  }

  // The hazard page's bottom bar (phones) jumps to the user's next action; it steps aside
  // while that action's card is on screen, so two buttons never say the same thing.
  function setupActionBar() {
    var bar = document.querySelector("[data-action-bar]");
    if (!bar) return;
    var link = bar.querySelector("a[href^='#']");
    var target = link ? document.querySelector(link.getAttribute("href")) : null;
    if (!target || !window.IntersectionObserver) return;
    new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) { bar.classList.toggle("is-hidden", entry.isIntersecting); });
    }).observe(target);
  }

  // A link or redirect to #action-… opens that folded card.
  function openTargetDetails() {
    function open() {
      if (!location.hash) return;
      var el = document.getElementById(location.hash.slice(1));
      if (el && el.tagName === "DETAILS") el.open = true;
    }
    window.addEventListener("hashchange", open);
    open();
    // A card sent back with errors (the page answered a failed action) comes into view.
    var invalid = document.querySelector(".action-card .invalid-feedback, .action-card .alert-danger");
    if (invalid) invalid.closest(".action-card").scrollIntoView({ block: "start" });
  }

  // Charts: any element with data-chart="<json-script id>" gets an ECharts option, stays
  // fitted to its card (window resize, phone rotation, a card changing width) and is marked
  // data-chart-ready once drawn.
  function setupCharts() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-chart"));
      if (!src) return;
      var chart = window.echarts.init(el);
      chart.setOption(JSON.parse(src.textContent));
      var resize = function () { chart.resize(); };
      if (window.ResizeObserver) {
        new window.ResizeObserver(resize).observe(el);
      } else {
        window.addEventListener("resize", resize);
      }
      el.setAttribute("data-chart-ready", "");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.documentElement.setAttribute("data-app-ready", "");
    labelEmptyChoices();
    setupPlacePicker();
    setupPhotoPreview();
    setupCampusMap();
    setupSubmitOnce();
    setupActionBar();
    openTargetDetails();
    setupCharts();
  });
})();
