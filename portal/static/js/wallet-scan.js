// eATA wallet: scan a carnet's download QR (eATA ID + PIN) with the camera (qr-scanner, loaded
// on this page only). The text lands in the "paste" field; the server parses it.
(() => {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("scan-box");
    const start = document.getElementById("scan-start");
    const video = document.getElementById("scan-video");
    const message = document.getElementById("scan-message");
    const text = document.getElementById("qr_text");
    if (!box || !start || typeof window.QrScanner === "undefined") {
      if (start) start.hidden = true;
      return;
    }
    window.QrScanner.WORKER_PATH = box.dataset.worker;
    let scanner = null;
    start.addEventListener("click", async () => {
      video.hidden = false;
      scanner = scanner || new window.QrScanner(video, (result) => {
        text.value = typeof result === "string" ? result : result.data;
        scanner.stop();
        video.hidden = true;
        message.textContent = message.dataset.read;
      }, { returnDetailedScanResult: true });
      try {
        await scanner.start();
        message.textContent = message.dataset.aim;
      } catch (err) {
        video.hidden = true;
        message.textContent = message.dataset.failed;
      }
    });
  });
})();
