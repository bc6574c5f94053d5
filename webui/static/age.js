// How long, in the words a person reads at a glance ("12s", "3m 4s", "2h 5m", "1d 3h"): shared
// by every page's <time data-age> (app.js) and the wall display's data age (noc.js).
window.incusWebui = window.incusWebui || {};
window.incusWebui.duration = function (seconds) {
  "use strict";
  seconds = Math.max(0, seconds);
  if (seconds < 60) return Math.round(seconds) + "s";
  if (seconds < 3600) return Math.floor(seconds / 60) + "m " + Math.round(seconds % 60) + "s";
  if (seconds < 86400) return Math.floor(seconds / 3600) + "h " + Math.floor((seconds % 3600) / 60) + "m";
  return Math.floor(seconds / 86400) + "d " + Math.floor((seconds % 86400) / 3600) + "h";
};
