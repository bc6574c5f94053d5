// The Warnings page's filters, kept on the rows a live update brings: the hub sends every viewer
// the same whole table, and each page hides the rows its own filters leave out. Choosing a
// filter applies at once and keeps it in the address (for a reload or a link). An action's
// result (Acknowledged, or Incus's refusal) stays in its row when the live table replaces it.
(function () {
  "use strict";
  var FIELDS = ["member", "severity", "status"];

  function form() { return document.querySelector("[data-warning-filters]"); }

  function wanted() {
    var f = form(), found = {};
    FIELDS.forEach(function (name) { found[name] = f ? f.elements[name].value : ""; });
    return found;
  }

  function apply() {
    var want = wanted(), shown = 0;
    document.querySelectorAll("#warnings-table tr[data-status]").forEach(function (row) {
      var keep = FIELDS.every(function (name) { return !want[name] || row.dataset[name] === want[name]; });
      row.hidden = !keep;
      if (keep) shown += 1;
    });
    var none = document.querySelector("#warnings-table [data-warnings-none]");
    var rows = document.querySelectorAll("#warnings-table tr[data-status]").length;
    if (none) none.hidden = shown > 0 || rows === 0;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var f = form();
    if (!f) return;
    f.addEventListener("change", function () {
      var query = new URLSearchParams();
      var want = wanted();
      FIELDS.forEach(function (name) { if (want[name]) query.set(name, want[name]); });
      history.replaceState(null, "", f.action + (query.toString() ? "?" + query : ""));
      apply();
    });
    apply();
  });
  var results = [];
  document.addEventListener("htmx:sseBeforeMessage", function () {
    results = Array.prototype.map.call(document.querySelectorAll("#warnings-table [data-result]"), function (el) {
      return [el.closest("tr").id, el];
    });
  });
  document.addEventListener("htmx:sseMessage", function () {
    results.forEach(function (kept) {
      var cell = document.querySelector("[id='" + kept[0] + "'] .warning-actions");
      if (cell && !cell.contains(kept[1])) cell.prepend(kept[1]);
    });
    results = [];
    apply();
  });
  document.addEventListener("htmx:afterSwap", apply);
})();
