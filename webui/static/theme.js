// The theme a viewer chose (light or dark), kept in this browser, applied before the first
// paint: this file is a blocking <script> in <head> (the Content-Security-Policy allows no
// inline one). With no choice ("auto") app.css follows prefers-color-scheme by itself.
(function () {
  "use strict";
  var KEY = "incus-webui-theme";
  var CYCLE = ["auto", "light", "dark"];
  var root = document.documentElement;

  function chosen() {
    try { return localStorage.getItem(KEY) || "auto"; } catch (e) { return "auto"; } // storage may be off
  }

  function apply(theme) {
    if (theme === "light" || theme === "dark") root.setAttribute("data-theme", theme);
    else root.removeAttribute("data-theme");
  }

  function label() {
    var theme = chosen();
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.textContent = "Theme: " + theme;
      button.title = "Switch between automatic (as the system), light and dark";
    });
  }

  apply(chosen());
  document.addEventListener("DOMContentLoaded", label);
  document.addEventListener("click", function (evt) {
    if (!evt.target.closest || !evt.target.closest("[data-theme-toggle]")) return;
    var next = CYCLE[(CYCLE.indexOf(chosen()) + 1) % CYCLE.length];
    try { localStorage.setItem(KEY, next); } catch (e) { /* this page only */ }
    apply(next);
    label();
  });
  // Another tab changed it: follow.
  window.addEventListener("storage", function (evt) {
    if (evt.key === KEY) { apply(chosen()); label(); }
  });
})();
