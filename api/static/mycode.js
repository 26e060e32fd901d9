/* My personal code: load a fresh code shortly before this one expires (the server says
   when, in data-renew-in seconds), so the code a captain scans is always valid. Without
   scripts a meta refresh does the same. */
(function () {
  "use strict";

  var box = document.querySelector("[data-renew-in]");
  if (!box) {
    return;
  }
  var seconds = Number(box.getAttribute("data-renew-in"));
  if (!(seconds > 0)) {
    return;
  }
  window.setTimeout(function () {
    window.location.reload();
  }, seconds * 1000);
})();
