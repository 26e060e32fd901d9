/* The resident's code page: ask every few seconds how far the code got, and reload the page
   once the clerk has scanned or resolved it (or it lapsed), so it shows the outcome. */
(function () {
  "use strict";

  var box = document.querySelector("[data-status-url]");
  var FINAL = { committed: true, voided: true, expired: true, lapsed: true };
  var EVERY_MS = 2000;
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var shown = box.getAttribute("data-state");
  if (FINAL[shown]) {
    return;
  }

  function later() {
    window.setTimeout(ask, EVERY_MS);
  }

  function ask() {
    if (document.hidden) {
      later();
      return;
    }
    window.fetch(url, { credentials: "same-origin", cache: "no-store", headers: { accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (status && status.state !== shown) {
          window.location.reload();
        } else {
          later();
        }
      })
      .catch(later);
  }

  later();
})();
