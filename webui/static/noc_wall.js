// The wall of several clusters: one grid for every cluster's cells (a header cell each, two
// columns wide, then its tiles), with as many columns as make the largest text: a tile's type
// follows its size (noc.css), so the columns that give the largest min(22% of a cell's height,
// 12% of its width) win. Each cluster starts its own row when that costs no type size, and flows
// on from the last one's when rows would be wasted. Each cluster's data age counts on from
// the arrival of its section; past data-stale-after seconds its header says STALE.
(function () {
  "use strict";

  var HEAD = 2; // cells a cluster's header (or its red card) takes
  var MAX_COLUMNS = 24;
  var HEIGHT_SHARE = 0.22, WIDTH_SHARE = 0.12; // of a cell, the tile's name (noc.css .wall .noc-name)

  function type(width, height, columns, rows) {
    return Math.min(height / rows * HEIGHT_SHARE, width / columns * WIDTH_SHARE);
  }

  function layout() {
    var grid = document.getElementById("wall");
    if (!grid) return;
    var cells = [].map.call(grid.querySelectorAll(".wall-cluster"), function (section) {
      return HEAD + section.querySelectorAll(".noc-slot").length;
    });
    var width = grid.clientWidth, height = grid.clientHeight;
    var flowing = { size: 0 }, rowed = { size: 0 };
    for (var columns = HEAD; columns <= MAX_COLUMNS; columns++) {
      var all = cells.reduce(function (sum, n) { return sum + n; }, 0);
      // Flowing, a header may not fit at a row's end: a cell lost per cluster at worst.
      var flowRows = Math.max(1, Math.ceil((all + cells.length) / columns));
      var ownRows = Math.max(1, cells.reduce(function (sum, n) { return sum + Math.ceil(n / columns); }, 0));
      var flowSize = type(width, height, columns, flowRows), ownSize = type(width, height, columns, ownRows);
      if (flowSize > flowing.size) flowing = { size: flowSize, columns: columns, rows: flowRows };
      if (ownSize > rowed.size) rowed = { size: ownSize, columns: columns, rows: ownRows };
    }
    var chosen = rowed.size >= flowing.size ? rowed : flowing;
    grid.style.setProperty("--cols", chosen.columns);
    grid.classList.toggle("wall-rowed", chosen === rowed);
  }

  function ages() {
    var staleAfter = Number(document.body.getAttribute("data-stale-after")) || 15;
    document.querySelectorAll(".wall-fresh").forEach(function (fresh) {
      if (fresh.arrivedAt === undefined) fresh.arrivedAt = Date.now(); // a new section or freshness
      var sent = Number(fresh.getAttribute("data-age-at-send"));
      var seconds = sent < 0 ? Infinity : sent + (Date.now() - fresh.arrivedAt) / 1000;
      var stale = seconds > staleAfter;
      fresh.querySelector(".wall-age").textContent = isFinite(seconds)
        ? (stale ? "STALE · " : "") + window.incusWebui.duration(seconds) + " old" : "no data yet";
      var head = fresh.closest(".wall-head");
      if (head) head.classList.toggle("wall-stale", stale);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { layout(); ages(); });
  document.addEventListener("htmx:afterSettle", function () { layout(); ages(); });
  window.addEventListener("resize", layout);
  window.setInterval(ages, 1000);
})();
