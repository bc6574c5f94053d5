// Relative ages ("12s ago") for <time data-age>, updated every second in the browser:
// the server sends a timestamp once, never a tick per client.
(function () {
  "use strict";

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-age]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (!isNaN(at)) el.textContent = window.incusWebui.duration((now - at) / 1000) + " ago";
    });
  }

  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  document.addEventListener("htmx:sseMessage", tick);
  window.setInterval(tick, 1000);

  // Dialogs: an action's dialog is fetched into <dialog id="dialog"> and shown modal.
  // Cancel (or Esc) closes it and sends nothing.
  document.addEventListener("htmx:afterSwap", function (evt) {
    var dialog = document.getElementById("dialog");
    if (dialog && evt.detail.target === dialog && !dialog.open) dialog.showModal();
  });
  document.addEventListener("click", function (evt) {
    if (evt.target.closest("[data-close-dialog]")) document.getElementById("dialog").close();
    // A copy button (a join token): the text of the element it names goes to the clipboard.
    var copy = evt.target.closest("[data-copy]");
    if (copy) {
      var source = document.querySelector(copy.getAttribute("data-copy"));
      source.select();
      (navigator.clipboard ? navigator.clipboard.writeText(source.value) : Promise.reject()).then(
        function () { copy.textContent = "Copied"; },
        function () { document.execCommand("copy"); copy.textContent = "Copied"; });
    }
  });
  document.addEventListener("close", function (evt) {
    if (evt.target.id === "dialog") evt.target.replaceChildren();
  }, true);

  // The stream itself is a liveness signal: when it drops, say so at once.
  document.addEventListener("htmx:sseError", function () {
    document.body.classList.add("stream-lost");
    // The stream may have failed because the session ended: then the whole page goes to login.
    fetch(window.location.href, { headers: { "HX-Request": "true" }, redirect: "manual" }).then(function (r) {
      var login = r.headers.get("HX-Redirect");
      if (r.status === 401 && login) window.location.assign(login);
    }).catch(function () { /* the dashboard is down: the page keeps saying so */ });
  });
  document.addEventListener("htmx:sseOpen", function () { document.body.classList.remove("stream-lost"); });

  // A maintenance run folded open in the operations strip stays open while its progress
  // redraws the strip (several times a second during a migration).
  var unfolded = new Set();
  document.addEventListener("toggle", function (evt) {
    var el = evt.target;
    if (el.tagName === "DETAILS" && el.id) el.open ? unfolded.add(el.id) : unfolded.delete(el.id);
  }, true);
  function unfold() {
    unfolded.forEach(function (id) {
      var el = document.getElementById(id);
      if (el && !el.open) el.open = true;
    });
  }
  document.addEventListener("htmx:afterSwap", unfold);
  document.addEventListener("htmx:sseMessage", unfold);
})();
