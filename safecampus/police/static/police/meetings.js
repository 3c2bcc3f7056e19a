// Meetings pages (no inline script: CSP).
// - Plan/edit: list only the liaisons of the partners ticked (all when no script runs; the
//   server checks the choice anyway).
// - Long pick lists (select[data-filter]): a box above the list filters its options as one
//   types (name, user name, unit, partner).
// - Record minutes: a decision row's "responsible person" lists only the people of the chosen
//   unit (campus side) or partner (police side); "Add a decision" clones the template row
//   (without script the page has five rows).
(function () {
  "use strict";

  // --- liaisons of the partners taking part ---------------------------------------------
  var partners = document.querySelectorAll("#meeting-partners input[type=checkbox]");
  var box = document.getElementById("meeting-liaisons");
  if (partners.length && box) {
    var hint = document.getElementById("no-liaisons");
    var updateLiaisons = function () {
      var chosen = {};
      var any = false;
      partners.forEach(function (p) { if (p.checked) { chosen[p.value] = true; any = true; } });
      var shown = 0;
      box.querySelectorAll("input[data-partner]").forEach(function (input) {
        var row = input.closest(".form-check");
        var on = chosen[input.getAttribute("data-partner")] === true;
        if (!on) { input.checked = false; }
        if (row) { row.classList.toggle("d-none", !on); }
        if (on) { shown += 1; }
      });
      if (hint) { hint.classList.toggle("d-none", any && shown > 0); }
    };
    partners.forEach(function (p) { p.addEventListener("change", updateLiaisons); });
    updateLiaisons();
  }

  // --- filtering a long select ------------------------------------------------------------
  function ownerAllows(select, option) {
    var row = select.closest(".action-row");
    if (!row || !select.hasAttribute("data-owner") || !option.value) { return true; }
    var side = row.querySelector("select[name$='-side']");
    var unit = row.querySelector("select[name$='-owner_unit']");
    var partner = row.querySelector("select[name$='-owner_partner']");
    if (side && side.value === "campus" && unit && unit.value) {
      var units = (option.getAttribute("data-units") || "").split(" ");
      return units.indexOf(unit.value) >= 0;
    }
    if (side && side.value === "police" && partner && partner.value) {
      return option.getAttribute("data-partner") === partner.value;
    }
    return true;
  }

  function refresh(select) {
    var query = (select.getAttribute("data-query") || "").toLowerCase();
    Array.prototype.forEach.call(select.options, function (option) {
      var text = option.textContent.toLowerCase();
      var show = option.value === "" || option.selected ||
        ((!query || text.indexOf(query) >= 0) && ownerAllows(select, option));
      option.hidden = !show;
    });
  }

  function addFilter(select) {
    if (select.getAttribute("data-filter-ready")) { return; }
    select.setAttribute("data-filter-ready", "1");
    var input = document.createElement("input");
    input.type = "search";
    input.className = "form-control form-control-sm mb-1 select-filter";
    input.placeholder = select.getAttribute("data-filter");  // translated by the page
    input.setAttribute("aria-label", input.placeholder);
    input.addEventListener("input", function () {
      select.setAttribute("data-query", input.value.trim());
      refresh(select);
    });
    select.parentNode.insertBefore(input, select);
    refresh(select);
  }

  function initFilters(root) {
    root.querySelectorAll("select[data-filter]").forEach(addFilter);
  }
  initFilters(document);

  // --- decision rows --------------------------------------------------------------------
  var rows = document.getElementById("action-rows");
  if (rows) {
    rows.addEventListener("change", function (event) {
      var name = event.target.getAttribute("name") || "";
      if (!/-(side|owner_unit|owner_partner)$/.test(name)) { return; }
      var owner = event.target.closest(".action-row").querySelector("select[data-owner]");
      if (owner) {
        refresh(owner);
        if (owner.selectedOptions.length && owner.value && !ownerAllows(owner, owner.selectedOptions[0])) {
          owner.value = "";
          refresh(owner);
        }
      }
    });
    var add = document.getElementById("add-action-row");
    var template = document.getElementById("action-row-template");
    var total = document.querySelector("input[name='actions-TOTAL_FORMS']");
    if (add && template && total) {
      var max = parseInt(add.getAttribute("data-max"), 10) || 30;
      var sync = function () { add.classList.toggle("d-none", parseInt(total.value, 10) >= max); };
      add.addEventListener("click", function () {
        var index = parseInt(total.value, 10);
        if (index >= max) { return; }
        var html = template.innerHTML.replace(/__prefix__/g, String(index))
          .replace(/__number__/g, String(index + 1));
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var row = holder.firstElementChild;
        rows.appendChild(row);
        total.value = String(index + 1);
        initFilters(row);
        sync();
        var first = row.querySelector("input, select, textarea");
        if (first) { first.focus(); }
      });
      sync();
    }
    rows.querySelectorAll("select[data-owner]").forEach(refresh);
  }
})();
