// The wall display: a clock, the age of the data, and a loud STALE (the data dimmed) when the
// data stops coming: stream lost, Incus unreachable, two heartbeats missed, or nothing fresh
// for data-stale-after seconds. htmx's SSE extension and the browser reconnect by themselves
// (the server draws each stream's retry delay, so displays come back spread out). Kiosk tabs
// run for months: the page reloads itself past a memory budget or after some hours, and may
// rotate between the tiles and the maintenance view. A new problem blinks once and may sound.
(function () {
  "use strict";

  var body = document.body;
  function setting(name) { return Number(body.getAttribute("data-" + name)) || 0; }
  var receivedAt = Date.now(); // when the current #noc-data arrived (the page brought the first)
  var beatAt = Date.now(); // the last sign of life on the stream (a heartbeat or any message)
  var loadedAt = Date.now();
  var streamOpen = false;
  var RELOAD_CHECK = 10000;
  var RANK = { "": 0, warning: 1, critical: 2 };
  var severities = {}; // tile (its slot's id: member names repeat across clusters) -> severity last shown
  var several = body.classList.contains("wall");

  function age(seconds) {
    if (!isFinite(seconds) || seconds < 0) return "unknown";
    return window.incusWebui.duration(seconds) + " old";
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var now = new Date();
    var clock = document.getElementById("noc-clock");
    if (clock) clock.textContent = pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
    var data = document.getElementById("noc-data");
    var sent = data ? Number(data.getAttribute("data-age-at-send")) : -1;
    var seconds = sent < 0 ? Infinity : sent + (now.getTime() - receivedAt) / 1000;
    var staleAfter = setting("stale-after") || 15;
    var heartbeat = setting("heartbeat") || 15;
    var silent = (now.getTime() - beatAt) / 1000;
    var why = "";
    if (!streamOpen) why = "dashboard unreachable, reconnecting";
    else if (silent > 2.5 * heartbeat) why = "no heartbeat for " + window.incusWebui.duration(silent);
    // The wall of several clusters says that of each cluster in its section (noc_wall.js).
    else if (several) why = "";
    else if (!data || data.getAttribute("data-reachable") !== "yes") why = "Incus unreachable: " + (data ? data.getAttribute("data-error") : "");
    else if (seconds > staleAfter) why = "no fresh data";
    if (!several) document.getElementById("noc-age").textContent = age(seconds);
    var shown = why && !several ? " · data " + age(seconds) : "";
    body.classList.toggle("stale", why !== "");
    document.getElementById("noc-stale").hidden = why === "";
    document.getElementById("noc-stale-why").textContent = why ? "· " + why + shown : "";
  }

  // A tile whose member got worse since it was last shown blinks once, and says so aloud.
  function noticeProblems(first) {
    document.querySelectorAll(".noc-tile[data-member]").forEach(function (tile) {
      var name = tile.parentElement.id || tile.getAttribute("data-member");
      var now = tile.getAttribute("data-severity") || "";
      var before = severities[name];
      severities[name] = now;
      if (first || RANK[now] <= RANK[before || ""] || tile.classList.contains("noc-new-problem")) return;
      tile.classList.add("noc-new-problem");
      tile.addEventListener("animationend", function () { tile.classList.remove("noc-new-problem"); }, { once: true });
      if (window.incusWebui.nocSound) window.incusWebui.nocSound(now);
    });
  }

  // Reload only when the dashboard answers: a reload into an error page would stay there.
  function reloadWhenDue() {
    var hours = setting("reload-hours");
    var budget = setting("memory-budget-mb") * 1048576;
    var memory = window.performance && window.performance.memory;
    var why = "";
    if (hours > 0 && Date.now() - loadedAt > hours * 3600000) why = "hours";
    else if (budget > 0 && memory && memory.usedJSHeapSize > budget) why = "memory";
    if (!why || !streamOpen) return;
    fetch(window.location.href, { cache: "no-store" }).then(function (reply) {
      if (!reply.ok) return;
      try { sessionStorage.setItem("noc-reloaded", why); } catch (e) { /* only a record */ }
      window.location.reload();
    }).catch(function () { /* unreachable: try at the next check */ });
  }

  function rotate() {
    body.classList.toggle("view-maintenance");
  }

  document.addEventListener("htmx:sseOpen", function () { streamOpen = true; beatAt = Date.now(); tick(); });
  document.addEventListener("htmx:sseError", function () { streamOpen = false; tick(); });
  document.addEventListener("htmx:sseClose", function () { streamOpen = false; tick(); });
  document.addEventListener("htmx:sseMessage", function (evt) {
    if (evt.detail && evt.detail.type === "noc-freshness") receivedAt = Date.now();
    beatAt = Date.now();
    streamOpen = true;
    noticeProblems(false);
    tick();
  });
  document.addEventListener("DOMContentLoaded", function () {
    noticeProblems(true);
    tick();
    if (setting("rotate-seconds") > 0) window.setInterval(rotate, setting("rotate-seconds") * 1000);
  });
  // Timers are throttled in background tabs; the stream itself is not, and reconnects.
  window.setInterval(tick, 1000);
  window.setInterval(reloadWhenDue, RELOAD_CHECK);
})();
