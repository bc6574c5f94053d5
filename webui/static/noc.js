// The wall display: a clock, the age of the data, and a loud STALE when the data stops
// coming (stream lost, Incus unreachable, or nothing fresh for data-stale-after seconds).
// htmx's SSE extension reconnects by itself, forever, with a backoff; this file only watches.
(function () {
  "use strict";

  var receivedAt = Date.now(); // when the current #noc-data arrived (the page brought the first)
  var streamOpen = false;

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
    var staleAfter = Number(document.body.getAttribute("data-stale-after")) || 15;
    var why = "";
    if (!streamOpen) why = "dashboard unreachable, reconnecting";
    else if (!data || data.getAttribute("data-reachable") !== "yes") why = "Incus unreachable: " + (data ? data.getAttribute("data-error") : "");
    else if (seconds > staleAfter) why = "no fresh data";
    document.getElementById("noc-age").textContent = age(seconds);
    document.body.classList.toggle("stale", why !== "");
    document.getElementById("noc-stale").hidden = why === "";
    document.getElementById("noc-stale-why").textContent = why ? "· " + why + " · data " + age(seconds) : "";
  }

  document.addEventListener("htmx:sseOpen", function () { streamOpen = true; tick(); });
  document.addEventListener("htmx:sseError", function () { streamOpen = false; tick(); });
  document.addEventListener("htmx:sseClose", function () { streamOpen = false; tick(); });
  document.addEventListener("htmx:sseMessage", function (evt) {
    if (evt.detail && evt.detail.type === "noc-freshness") receivedAt = Date.now();
    streamOpen = true;
    tick();
  });
  document.addEventListener("DOMContentLoaded", tick);
  // Timers are throttled in background tabs; the stream itself is not, and reconnects.
  window.setInterval(tick, 1000);
})();
