// Sound on the wall display, off until someone clicks "Sound" (browsers allow audio only
// after a gesture), remembered in this browser. A tone per severity, made with WebAudio:
// critical, a falling two-note alarm thrice; warning, one soft note. No audio files.
(function () {
  "use strict";

  var KEY = "incus-webui-noc-sound";
  var TONES = {
    critical: { wave: "square", notes: [880, 587, 880, 587, 880, 587] },
    warning: { wave: "sine", notes: [660] }
  };
  var audio = null;
  var on = false;

  function allowed(severity) {
    return (document.body.getAttribute("data-sounds") || "").split(" ").indexOf(severity) >= 0;
  }

  function play(severity) {
    var tone = TONES[severity];
    if (!on || !audio || !tone || !allowed(severity)) return;
    var start = audio.currentTime + 0.05;
    tone.notes.forEach(function (frequency, i) {
      var at = start + i * 0.22;
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.type = tone.wave;
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.2);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.21);
    });
  }

  function show(button) {
    var suspended = on && audio && audio.state === "suspended";
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = !on ? "Sound off" : suspended ? "Sound: click to allow" : "Sound on";
  }

  function enable(button, value) {
    on = value;
    if (on && !audio && window.AudioContext) audio = new window.AudioContext();
    if (on && audio) audio.resume().then(function () { show(button); });
    try { localStorage.setItem(KEY, on ? "on" : "off"); } catch (e) { /* this page only */ }
    show(button);
  }

  window.incusWebui = window.incusWebui || {};
  window.incusWebui.nocSound = play;
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("noc-sound");
    if (!button) return;
    var remembered = false;
    try { remembered = localStorage.getItem(KEY) === "on"; } catch (e) { /* off */ }
    if (remembered) enable(button, true);
    button.addEventListener("click", function () {
      var wasAllowed = audio && audio.state === "running";
      enable(button, !on || !wasAllowed);
      if (on) play("warning"); // so whoever clicked hears that it works
    });
  });
})();
