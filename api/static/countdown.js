/* Counts down every [data-remaining] element (seconds left, from the server) as m:ss.
   At zero it hides the [data-while-live] parts and shows the [data-when-expired] parts of
   the element's [data-countdown-scope]. Without scripts the page states the end time. */
(function () {
  "use strict";

  function format(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function each(root, selector, action) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), action);
  }

  function start(element) {
    // Measured from the page's arrival, so a phone whose clock is wrong still counts right.
    var end = Date.now() + Number(element.getAttribute("data-remaining")) * 1000;
    var scope = element.closest("[data-countdown-scope]") || document;

    function tick() {
      var left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      element.textContent = format(left);
      if (left > 0) {
        window.setTimeout(tick, 250);
        return;
      }
      each(scope, "[data-while-live]", function (part) { part.hidden = true; });
      each(scope, "[data-when-expired]", function (part) { part.hidden = false; });
      scope.dispatchEvent(new CustomEvent("countdown:end", { bubbles: true }));
    }

    tick();
  }

  each(document, "[data-remaining]", start);
})();
