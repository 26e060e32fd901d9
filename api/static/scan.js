/* Scanning a neighbour's personal code with the camera, where the browser has a
   BarcodeDetector that reads QR codes: the code read goes into the form's text field and the
   form is sent. Elsewhere the page says to paste or type the code; the form works either way. */
(function () {
  "use strict";

  var form = document.querySelector("[data-scan-form]");
  if (!form) {
    return;
  }
  var camera = form.querySelector("[data-camera]");
  var video = form.querySelector("[data-video]");
  var start = form.querySelector("[data-camera-start]");
  var stop = form.querySelector("[data-camera-stop]");
  var input = form.querySelector("[data-code-input]");
  var missing = form.querySelector("[data-no-camera]");
  var stream = null;
  var detector = null;

  function noCamera() {
    missing.hidden = false;
  }

  function halt() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
  }

  function found(text) {
    halt();
    input.value = text;
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function look() {
    if (!stream) {
      return;
    }
    detector.detect(video)
      .then(function (codes) {
        if (codes.length) {
          found(codes[0].rawValue);
        } else {
          window.requestAnimationFrame(look);
        }
      })
      .catch(function () { window.setTimeout(look, 300); });
  }

  function begin() {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (opened) {
        stream = opened;
        video.srcObject = opened;
        video.hidden = false;
        start.hidden = true;
        stop.hidden = false;
        return video.play();
      })
      .then(look)
      .catch(function () { halt(); noCamera(); });
  }

  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    noCamera();
    return;
  }
  window.BarcodeDetector.getSupportedFormats()
    .then(function (formats) {
      if (formats.indexOf("qr_code") < 0) {
        noCamera();
        return;
      }
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      camera.hidden = false;
      start.addEventListener("click", begin);
      stop.addEventListener("click", halt);
    })
    .catch(noCamera);
})();
