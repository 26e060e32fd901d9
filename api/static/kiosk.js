/* The kiosk: count down to the next venue code, swap the QR image when the code rotates, and
   keep the number checked in up to date, by asking the page's live URL (same host) every few
   seconds. If the event stops showing a code (closed, cancelled), reload to say so. Without
   scripts the page refreshes itself when the code rotates (a meta refresh). */
(function () {
  "use strict";

  var box = document.querySelector("[data-live-url]");
  if (!box) {
    return;
  }
  var POLL_MS = 3000;
  var url = box.getAttribute("data-live-url");
  var image = box.querySelector(".ks-qr");
  var seconds = box.querySelector("[data-seconds-left]");
  var count = box.querySelector("[data-testid=count]");
  var state = box.getAttribute("data-state");
  var bucket = box.getAttribute("data-bucket");
  var deadline = seconds ? Date.now() + Number(seconds.getAttribute("data-seconds-left")) * 1000 : 0;
  var busy = false;

  function fullscreen() {
    var button = box.querySelector("[data-fullscreen]");
    var root = document.documentElement;
    if (!button || !root.requestFullscreen) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      root.requestFullscreen().catch(function () {});
    });
  }

  function keepAwake() {
    // A kiosk screen that dims to black stops checking people in.
    if (navigator.wakeLock && navigator.wakeLock.request) {
      navigator.wakeLock.request("screen").catch(function () {});
    }
  }

  function swap(src) {
    var next = new Image();
    next.onload = function () { image.src = src; };
    next.src = src;
  }

  function apply(live) {
    if (live.state !== state || !live.image !== !image) {
      window.location.reload();
      return;
    }
    if (count) {
      count.textContent = String(live.checked_in);
    }
    if (live.image && String(live.bucket) !== bucket) {
      bucket = String(live.bucket);
      swap(live.image);
    }
    if (live.seconds_left) {
      deadline = Date.now() + live.seconds_left * 1000;
    }
  }

  function ask() {
    if (busy || !window.fetch) {
      return;
    }
    busy = true;
    window.fetch(url, { credentials: "same-origin", cache: "no-store", headers: { accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (live) {
        busy = false;
        if (live) {
          apply(live);
        }
      })
      .catch(function () { busy = false; });
  }

  function tick() {
    if (seconds) {
      var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      seconds.textContent = String(left);
      if (left === 0) {
        ask();
      }
    }
    window.setTimeout(tick, 250);
  }

  fullscreen();
  keepAwake();
  window.setInterval(ask, POLL_MS);
  tick();
})();
