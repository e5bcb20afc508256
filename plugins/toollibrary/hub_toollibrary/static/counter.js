// The counter's camera scanner: where the browser has barcode detection (BarcodeDetector),
// a "Scan a label" button reads an item's QR code or barcode and looks it up; typing the
// number always works, with or without it.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("item-form");
  var button = document.getElementById("scan");
  var video = document.getElementById("scanner");
  var input = document.getElementById("item");
  if (!form || !button || !video || !input) return;
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  button.hidden = false;
  var stream = null;

  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
  }

  button.addEventListener("click", function () {
    if (stream) { stop(); return; }
    var detector = new window.BarcodeDetector({ formats: ["qr_code", "code_128"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      return video.play();
    }).then(function look() {
      if (!stream) return;
      detector.detect(video).then(function (codes) {
        if (codes.length) {
          // A label's QR code holds the counter's URL; its barcode the item number.
          var text = codes[0].rawValue;
          var match = /[?&]item=([^&]+)/.exec(text);
          input.value = decodeURIComponent(match ? match[1] : text);
          stop();
          form.submit();
        } else {
          window.requestAnimationFrame(look);
        }
      }).catch(function () { window.requestAnimationFrame(look); });
    }).catch(function () { stop(); });
  });

  // A busy counter taps twice: show the first tap was taken (the server's token is what
  // keeps a second tap from lending twice).
  document.querySelectorAll("#checkout-form, #checkin-form").forEach(function (f) {
    f.addEventListener("submit", function () {
      f.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-busy", "true"); });
    });
  });
});
