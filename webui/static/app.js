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

  // Dialogs: an action's dialog is fetched into <dialog id="dialog"> and shown modal, which
  // moves focus into it. Cancel (or Esc) closes it and sends nothing; focus goes back to the
  // button that opened it, or to its successor if the stream redrew the button meanwhile.
  // The opener is taken when its dialog shows, not when it is asked for: the close event of a
  // dialog just shut comes a task later, after a quick Enter may have asked for the next one.
  var opener = null;
  var asking = null;
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var dialog = document.getElementById("dialog");
    if (dialog && evt.detail.target === dialog && !dialog.open) asking = evt.detail.elt;
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    var dialog = document.getElementById("dialog");
    if (!dialog || evt.detail.target !== dialog) return;
    if (!dialog.open) {
      opener = asking;
      asking = null;
      dialog.showModal();
    }
    // A form shown again (Incus's error): the old focused field is gone, so start over inside.
    else if (!dialog.contains(document.activeElement)) {
      var first = dialog.querySelector("[role=alert], input:not([type=hidden]), select, textarea, button");
      if (first && first.getAttribute("role") === "alert") first.setAttribute("tabindex", "-1");
      if (first) first.focus();
    }
  });
  function focusSuccessor(control) {
    var target = control.isConnected ? control : null;
    var href = control.getAttribute("hx-get");
    if (!target && href) {
      target = Array.prototype.find.call(document.querySelectorAll("[hx-get]"), function (el) {
        return el.getAttribute("hx-get") === href;
      });
    }
    if (target) target.focus();
  }
  function focusOpener() {
    if (opener) focusSuccessor(opener);
    opener = null;
  }
  // A redraw (the stream's, or any swap) that replaces the focused control, as when it lands
  // just after a dialog closed: focus moves to the control that took its place.
  var redrawn = null;
  function noteFocus() {
    var el = document.activeElement;
    redrawn = el && el.hasAttribute && el.hasAttribute("hx-get") ? el : null;
  }
  function refocus() {
    if (redrawn && !redrawn.isConnected && document.activeElement === document.body) focusSuccessor(redrawn);
    redrawn = null;
  }
  document.addEventListener("htmx:beforeSwap", noteFocus);
  document.addEventListener("htmx:sseBeforeMessage", noteFocus);
  document.addEventListener("htmx:afterSwap", refocus);
  document.addEventListener("htmx:sseMessage", refocus);
  // An operation's outcome can come before the dialog showing it is there to listen for it
  // (a restore over in a second, its outcome sent while the dialog's reply was on its way).
  // The strip every page keeps live has the same chip: the dialog's catches up from it.
  function catchUp() {
    var dialog = document.getElementById("dialog");
    if (!dialog || !dialog.open) return;
    dialog.querySelectorAll("[sse-swap^='operation-']").forEach(function (slot) {
      var id = slot.getAttribute("sse-swap");
      var live = document.querySelector("#operations [id='" + id + "']");
      var shown = slot.querySelector("[id='" + id + "']");
      if (live && shown && live.className !== shown.className) slot.innerHTML = live.outerHTML;
    });
  }
  document.addEventListener("htmx:afterSettle", catchUp);
  document.addEventListener("htmx:sseMessage", catchUp);
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
    if (evt.target.id !== "dialog" || evt.target.open) return;  // open again since: not this close's
    evt.target.replaceChildren();
    focusOpener();
  }, true);

  // A form's outcome ([data-result], drawn beside the control that sent it: form_result in
  // _macros.html) must be seen where the person looks. A swap can still leave it off screen (the
  // strip above grew meanwhile, a full page came back scrolled to its top): it is brought into
  // view; an error takes focus, so it is read out and the keyboard starts from it; what was done
  // is said through #announcer, as a live region that arrives with its text is often not read.
  function showResults() {
    document.querySelectorAll("[data-result]:not([data-shown])").forEach(function (el) {
      el.setAttribute("data-shown", "");
      if (el.getAttribute("role") === "alert") {
        el.setAttribute("tabindex", "-1");
        el.focus({ preventScroll: true });
      } else {
        var announcer = document.getElementById("announcer");
        if (announcer) announcer.textContent = el.textContent.trim();
      }
      el.scrollIntoView({ block: "nearest" });
    });
  }
  document.addEventListener("DOMContentLoaded", showResults);
  document.addEventListener("htmx:afterSettle", showResults);

  // An answer asked for again ([data-into-view]: rebalancing's "Check again") is brought into
  // view as a whole, not read out (a table).
  function bringIntoView() {
    document.querySelectorAll("[data-into-view]:not([data-shown])").forEach(function (el) {
      el.setAttribute("data-shown", "");
      el.scrollIntoView({ block: "nearest" });
    });
  }
  document.addEventListener("htmx:afterSettle", bringIntoView);

  // Status changes are announced politely (#announcer, a live region): each [data-announce]
  // element is one subject's status, compared with what the page last showed of it (kept
  // while a progress bar stands in for the status, as during an evacuation).
  var shown = null;
  function statuses() {
    var found = {};
    document.querySelectorAll("[data-announce]").forEach(function (el) {
      found[el.getAttribute("data-announce")] = el.textContent.trim();
    });
    return found;
  }
  document.addEventListener("DOMContentLoaded", function () { shown = statuses(); });
  document.addEventListener("htmx:sseMessage", function () {
    var now = statuses();
    var changed = Object.keys(now).filter(function (key) { return shown && key in shown && shown[key] !== now[key]; });
    shown = Object.assign(shown || {}, now);
    var announcer = document.getElementById("announcer");
    if (changed.length && announcer) {
      announcer.textContent = changed.map(function (key) { return key + " is now " + now[key]; }).join(". ");
    }
  });

  // A table whose rows outlive the stream's fragment (the Maintenance page: a run stays on
  // record after the snapshot forgets it): each row sent replaces the row with its id, or goes
  // on top when it is new; rows not sent stay as they are.
  document.addEventListener("htmx:sseBeforeMessage", function (evt) {
    var body = evt.target;
    if (!body.hasAttribute("data-merge-rows")) return;
    evt.preventDefault();
    var sent = document.createElement("template");
    sent.innerHTML = evt.detail.data;
    // Newest first in the fragment: the oldest new one goes on top first.
    Array.prototype.slice.call(sent.content.querySelectorAll("tr[id]")).reverse().forEach(function (row) {
      var shown = document.getElementById(row.id);
      // Sent again unchanged (another run moved on): left alone, as is a text being selected.
      if (shown && !shown.isEqualNode(row)) shown.replaceWith(row);
      else if (!shown) body.prepend(row);
    });
    body.querySelectorAll("tr.empty").forEach(function (row) { row.remove(); });
  });

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

  // The operations strip folds to its heading line, and each browser remembers that. The
  // class sits on #operations, which the stream fills but never replaces.
  var FOLDED = "incus-webui.strip-folded";
  var foldedHere = false; // where storage is refused: remembered for this page only
  function remembered() {
    try { return window.localStorage.getItem(FOLDED) === "yes"; } catch (e) { return foldedHere; }
  }
  function fold() {
    var strip = document.getElementById("operations");
    if (!strip) return;
    var folded = remembered();
    strip.classList.toggle("folded", folded);
    strip.querySelectorAll("[data-strip-fold]").forEach(function (button) {
      button.setAttribute("aria-expanded", folded ? "false" : "true");
    });
  }
  document.addEventListener("click", function (evt) {
    if (!evt.target.closest || !evt.target.closest("[data-strip-fold]")) return;
    foldedHere = !remembered();
    try { window.localStorage.setItem(FOLDED, foldedHere ? "yes" : "no"); } catch (e) { /* foldedHere keeps it */ }
    fold();
  });
  fold();
  document.addEventListener("DOMContentLoaded", fold);
  document.addEventListener("htmx:afterSwap", fold);
  document.addEventListener("htmx:sseMessage", fold);
})();
