/* The clerk's confirm page: one tap is enough. After a confirm or cancel form is sent, both
   buttons are disabled so a second tap cannot send the other one (the server would refuse
   it anyway, and repeating the same one is harmless). */
(function () {
  "use strict";

  var forms = document.querySelectorAll("form[data-once]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        Array.prototype.forEach.call(forms, function (other) {
          Array.prototype.forEach.call(other.querySelectorAll("button"), function (button) {
            button.disabled = true;
          });
        });
      }, 0);
    });
  });
})();
