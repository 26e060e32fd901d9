/* The pending list: a "select all" box for the bulk approval (shown only with scripts), and
   buttons that disable themselves once their form is sent, so a double tap sends one. */
(function () {
  "use strict";

  function each(selector, action) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), action);
  }

  each("[data-check-all]", function (all) {
    var name = all.getAttribute("data-check-all");
    var label = all.parentNode.querySelector("[data-check-all-label]");
    all.hidden = false;
    if (label) {
      label.hidden = false;
    }
    all.addEventListener("change", function () {
      each("input[type=checkbox][name='" + name + "']", function (box) { box.checked = all.checked; });
    });
  });

  each("form", function (form) {
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        each("button[type=submit]", function (button) { button.disabled = true; });
      }, 0);
    });
  });
})();
