// The member table: sort, filter, column choice and pages, in the browser, over the rows the
// stream keeps current. Applied again after every live update, so a changed row takes its place
// in the order and stays filtered. And the member page's charts: arrow keys between points, the
// focused or hovered point's value and time read out under its chart.
(function () {
  "use strict";

  var STORE = "incus-webui.member-columns";
  var FIELDS = ["name", "role", "status", "group", "domain"];
  var state = { sort: "n", desc: false, page: 0 };
  var pending = false;

  function table() { return document.querySelector("table.members"); }
  function letters(t) {
    return Array.prototype.map.call(t.tHead.rows[0].cells, function (th) { return th.className.slice(4); });
  }

  // What a row is filtered on: the name, and the keys its first cell carries.
  function fields(row) {
    var keys = row.querySelector(".keys");
    if (!keys) return null;
    return {
      name: row.id.slice(7).toLowerCase(),
      role: keys.getAttribute("data-roles").toLowerCase(),
      status: keys.getAttribute("data-status").toLowerCase(),
      group: keys.getAttribute("data-groups").toLowerCase(),
      domain: keys.getAttribute("data-domain").toLowerCase()
    };
  }

  // "web status:online": every word must match; "field:" narrows a word to that field.
  function terms(text) {
    return text.toLowerCase().split(/\s+/).filter(Boolean).map(function (word) {
      var colon = word.indexOf(":");
      var field = colon > 0 ? word.slice(0, colon) : "";
      if (FIELDS.indexOf(field) >= 0) return { field: field, value: word.slice(colon + 1) };
      return { field: "", value: word };
    });
  }

  function matches(f, wanted) {
    return wanted.every(function (term) {
      var where = term.field ? [term.field] : FIELDS;
      return where.some(function (field) { return f[field].indexOf(term.value) >= 0; });
    });
  }

  function key(row, index, kind) {
    var cell = row.cells[index];
    if (!cell) return kind === "number" ? -Infinity : "";
    if (kind === "number") {
      var data = cell.querySelector("data");
      return data ? parseFloat(data.value) : -Infinity;
    }
    return cell.textContent.trim().toLowerCase();
  }

  var collator = new Intl.Collator(undefined, { numeric: true });

  function apply() {
    pending = false;
    var t = table();
    if (!t) return;
    var body = t.tBodies[0];
    var rows = Array.prototype.filter.call(body.rows, function (r) { return r.id.indexOf("member-") === 0; });
    var index = letters(t).indexOf(state.sort);
    var button = t.querySelector('button[data-sort="' + state.sort + '"]');
    var kind = button ? button.getAttribute("data-kind") : "text";
    var wanted = terms(document.getElementById("member-filter").value);
    var sorted = rows.map(function (row) {
      return { row: row, key: key(row, index, kind), name: row.id, fields: fields(row) };
    });
    sorted.sort(function (a, b) {
      var order = kind === "number" ? a.key - b.key : collator.compare(a.key, b.key);
      if (state.desc) order = -order;
      return order || collator.compare(a.name, b.name);
    });
    // Move only the rows out of place (a live change moves one row, not a thousand).
    var at = body.firstElementChild;
    sorted.forEach(function (d) {
      while (at && at.id.indexOf("member-") !== 0) at = at.nextElementSibling;
      if (at === d.row) at = at.nextElementSibling;
      else body.insertBefore(d.row, at);
    });
    var shown = sorted.filter(function (d) { return d.fields && matches(d.fields, wanted); });
    var size = parseInt(t.getAttribute("data-page-size"), 10);
    var pages = Math.max(1, Math.ceil(shown.length / size));
    state.page = Math.min(state.page, pages - 1);
    var first = state.page * size;
    var visible = new Set(shown.slice(first, first + size).map(function (d) { return d.row; }));
    rows.forEach(function (row) {
      var hide = !visible.has(row);
      if (row.hidden !== hide) row.hidden = hide;
    });
    describe(t, rows.length, shown.length, first, visible.size, pages);
  }

  function describe(t, total, matching, first, count, pages) {
    var words = matching === total ? total + (total === 1 ? " member" : " members")
      : matching + " of " + total + " members match";
    if (pages > 1) words += " · rows " + (first + 1) + "–" + (first + count) + " · page " + (state.page + 1) + " of " + pages;
    document.getElementById("member-count").textContent = words;
    document.querySelectorAll(".pager button[data-page]").forEach(function (b) {
      var step = parseInt(b.getAttribute("data-page"), 10);
      b.disabled = state.page + step < 0 || state.page + step >= pages;
      b.hidden = pages < 2;
    });
    t.querySelectorAll("thead th").forEach(function (th) {
      var b = th.querySelector("button.sort");
      if (!b) return;
      if (b.getAttribute("data-sort") === state.sort) th.setAttribute("aria-sort", state.desc ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    });
    window.clearTimeout(remember);
    remember = window.setTimeout(keepInUrl, 300);  // not at every keystroke: each costs an IPC
  }

  // The sort and filter in the address, for a reload or a link.
  var remember = 0;
  function keepInUrl() {
    var url = new URL(window.location.href);
    var filter = document.getElementById("member-filter").value.trim();
    if (filter) url.searchParams.set("q", filter); else url.searchParams.delete("q");
    url.searchParams.delete("group");
    url.searchParams.set("sort", (state.desc ? "-" : "") + state.sort);
    if (url.href !== window.location.href) window.history.replaceState(null, "", url.href);
  }

  function soon() {
    if (!pending) { pending = true; window.requestAnimationFrame(apply); }
  }

  // Columns, as `incus cluster list -c` takes them: letters, commas allowed.
  function showColumns(text, remember) {
    var t = table();
    var known = letters(t);
    var chosen = text.replace(/[,\s]/g, "");
    var error = document.getElementById("member-columns-error");
    var unknown = chosen.split("").filter(function (c) { return known.indexOf(c) < 0; });
    var input = document.getElementById("member-columns");
    if (unknown.length || !chosen) {
      error.textContent = chosen ? "Unknown column shorthand char '" + unknown[0] + "' in '" + chosen + "'" : "Choose at least one column";
      input.setAttribute("aria-invalid", "true");
      return;
    }
    error.textContent = "";
    input.removeAttribute("aria-invalid");
    known.forEach(function (c) { t.classList.toggle("hide-" + c, chosen.indexOf(c) < 0); });
    document.querySelectorAll("input[data-column]").forEach(function (box) {
      box.checked = chosen.indexOf(box.getAttribute("data-column")) >= 0;
    });
    if (document.activeElement !== input) input.value = chosen;
    if (remember) window.localStorage.setItem(STORE, chosen);
  }

  function start() {
    var t = table();
    if (!t) return;
    var params = new URLSearchParams(window.location.search);
    var filter = document.getElementById("member-filter");
    if (params.get("q") !== null) filter.value = params.get("q");
    var sort = params.get("sort") || "n";
    state.desc = sort.charAt(0) === "-";
    state.sort = sort.replace(/^-/, "");
    if (!t.querySelector('button[data-sort="' + state.sort + '"]')) state.sort = "n";
    showColumns(window.localStorage.getItem(STORE) || t.getAttribute("data-columns"), false);
    filter.addEventListener("input", function () { state.page = 0; soon(); });
    document.getElementById("member-columns").addEventListener("input", function (evt) {
      showColumns(evt.target.value, true);
    });
    document.querySelectorAll("input[data-column]").forEach(function (box) {
      box.addEventListener("change", function () {
        var chosen = Array.prototype.filter.call(document.querySelectorAll("input[data-column]"), function (b) {
          return b.checked;
        }).map(function (b) { return b.getAttribute("data-column"); }).join("");
        showColumns(chosen, true);
      });
    });
    t.tHead.addEventListener("click", function (evt) {
      var b = evt.target.closest("button.sort");
      if (!b) return;
      var letter = b.getAttribute("data-sort");
      state.desc = letter === state.sort ? !state.desc : false;
      state.sort = letter;
      state.page = 0;
      apply();
    });
    document.querySelectorAll(".pager button[data-page]").forEach(function (b) {
      b.addEventListener("click", function () { state.page += parseInt(b.getAttribute("data-page"), 10); apply(); });
    });
    apply();
  }

  // The figures of every changed row arrive in one frame: each cell's content moves into the
  // cell with its id, and htmx swaps nothing.
  document.addEventListener("htmx:sseBeforeMessage", function (evt) {
    if (evt.target.id !== "member-metrics") return;
    evt.preventDefault();
    var holder = document.createElement("template");
    holder.innerHTML = "<table><tr>" + evt.detail.data + "</tr></table>";
    holder.content.querySelectorAll("td[id]").forEach(function (cell) {
      var target = document.getElementById(cell.id);
      if (target) target.replaceChildren.apply(target, Array.prototype.slice.call(cell.childNodes));
    });
    soon();
  });
  document.addEventListener("htmx:sseMessage", function (evt) {
    if (evt.target.closest && evt.target.closest("table.members")) soon();
  });

  // Charts: one tab stop each (the newest point); arrows move along the points.
  function readout(point) {
    var output = point.closest("figure").querySelector("output");
    if (output) output.textContent = point.getAttribute("data-label");
  }
  document.addEventListener("focusin", function (evt) {
    var point = evt.target.closest && evt.target.closest(".chart-point");
    if (point) readout(point);
  });
  document.addEventListener("mouseover", function (evt) {
    var point = evt.target.closest && evt.target.closest(".chart-point");
    if (point) readout(point);
  });
  document.addEventListener("keydown", function (evt) {
    var point = evt.target.closest && evt.target.closest(".chart-point");
    if (!point) return;
    var points = Array.prototype.slice.call(point.parentNode.querySelectorAll(".chart-point"));
    var i = points.indexOf(point);
    var j = { ArrowLeft: i - 1, ArrowDown: i - 1, ArrowRight: i + 1, ArrowUp: i + 1, Home: 0, End: points.length - 1 }[evt.key];
    if (j === undefined) return;
    evt.preventDefault();
    var next = points[Math.max(0, Math.min(points.length - 1, j))];
    point.setAttribute("tabindex", "-1");
    next.setAttribute("tabindex", "0");
    next.focus();
  });
  // The member page is redrawn live: a focused point keeps focus (it keeps its id while it
  // stays in the window).
  var refocus = null;
  document.addEventListener("htmx:sseBeforeMessage", function () {
    var active = document.activeElement;
    refocus = active && active.classList && active.classList.contains("chart-point") ? active.id : null;
  });
  document.addEventListener("htmx:sseMessage", function () {
    var id = refocus;
    refocus = null;
    var point = id && document.getElementById(id);
    if (!point || document.activeElement === point) return;
    point.parentNode.querySelectorAll(".chart-point").forEach(function (p) { p.setAttribute("tabindex", "-1"); });
    point.setAttribute("tabindex", "0");
    point.focus();
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
