// Customs desk: camera QR scanning on step 1 (and a hardware scanner's typed QR text) (the qr-scanner library is loaded only when the
// officer starts the camera there), the stepper following the step htmx swapped in (fragments
// do not repeat it), focus on the new step's heading after each htmx swap (on the first
// refused field after a refusal; a refusal's 422 is swapped in by base.html's htmx config),
// and the X-Desk-Panel header: which carnet panel the page shows, so the server sends it only
// when it changes.
(function () {
  "use strict";
  let scanner = null;

  function loadLibrary(src) {
    if (window.QrScanner) return Promise.resolve(window.QrScanner);
    return new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.onload = () => resolve(window.QrScanner);
      s.onerror = () => reject(new Error("The scanner could not be loaded."));
      document.head.appendChild(s);
    });
  }

  function stop() {
    if (scanner) { scanner.stop(); scanner.destroy(); scanner = null; }
    const video = document.getElementById("scan-video");
    if (video) video.hidden = true;
    const startBtn = document.getElementById("scan-start");
    const stopBtn = document.getElementById("scan-stop");
    if (startBtn) startBtn.hidden = false;
    if (stopBtn) stopBtn.hidden = true;
  }

  // the status line's messages come translated in its data-* attributes (the page's language)
  function say(name, error) {
    const status = document.getElementById("scan-status");
    if (status && status.dataset[name]) {
      status.textContent = status.dataset[name].replace("{error}", error || "");
    }
  }

  function onResult(result) {
    const text = typeof result === "string" ? result : result.data;
    const form = document.getElementById("lookup-form");
    const qr = document.getElementById("qr");
    if (!form || !qr || !text) return;
    qr.value = text;
    say("read");
    stop();
    form.requestSubmit();
  }

  // a hardware QR scanner is a keyboard: it "types" the QR's text and Enter into the focused
  // field (step 1's transaction-code field has the focus). Its text goes in as the camera's does; the
  // server recognises it too (a form sent before this script ran).
  const QR_TEXT = /^\s*EATA1:/i;
  function scannedIntoField(evt) {
    const form = evt.target;
    if (!form || form.id !== "lookup-form") return;
    const qr = document.getElementById("qr");
    for (const id of ["carnet", "code"]) {
      const field = document.getElementById(id);
      if (qr && field && !qr.value && QR_TEXT.test(field.value)) {
        qr.value = field.value.trim();
        field.value = "";
        say("read");
      }
    }
  }

  async function start() {
    const box = document.getElementById("scanner");
    const video = document.getElementById("scan-video");
    try {
      const QrScanner = await loadLibrary(box.dataset.lib);
      video.hidden = false;
      scanner = new QrScanner(video, onResult, {
        preferredCamera: "environment", returnDetailedScanResult: true,
        maxScansPerSecond: 10,
      });
      await scanner.start();
      document.getElementById("scan-start").hidden = true;
      document.getElementById("scan-stop").hidden = false;
      say("aim");
    } catch (e) {
      stop();
      say("failed", String(e && e.message ? e.message : e));
    }
  }

  // the stepper of the page (#steps) shows the step of #step: current, and the ones done
  function syncStepper() {
    const step = document.getElementById("step");
    const steps = document.getElementById("steps");
    if (!step || !steps) return;
    const current = parseInt(step.dataset.step, 10);
    steps.querySelectorAll("li").forEach((li, i) => {
      if (i + 1 === current) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
      li.classList.toggle("done", i + 1 < current);
    });
  }

  function wire(root) {
    const startBtn = root.querySelector ? root.querySelector("#scan-start") : null;
    if (startBtn && !startBtn.dataset.wired) {
      startBtn.dataset.wired = "1";
      startBtn.addEventListener("click", start);
      document.getElementById("scan-stop").addEventListener("click", stop);
    }
  }

  // capture: before htmx (listening on the form) reads the form's values
  document.addEventListener("submit", scannedIntoField, true);

  document.addEventListener("DOMContentLoaded", () => {
    wire(document);
    document.body.addEventListener("htmx:configRequest", (evt) => {
      const panel = document.getElementById("carnet-panel");
      if (panel) evt.detail.headers["X-Desk-Panel"] = panel.dataset.key || "";
    });
    document.body.addEventListener("htmx:beforeSwap", (evt) => {
      if (scanner) stop();
    });
    document.body.addEventListener("htmx:afterSwap", syncStepper);
    document.body.addEventListener("htmx:afterSettle", (evt) => {
      wire(document);
      // parts loaded after a step (step 1's last transactions, step 2's general list and
      // history): leave the focus where it is
      const target = evt.detail && evt.detail.target;
      if (target && (target.id === "recent" || target.classList.contains("lazy"))) return;
      // a refusal: focus its first field (its content selected, to type it again); else the
      // new step's heading
      const invalid = document.querySelector("#step [aria-invalid=true]");
      if (invalid) {
        invalid.focus();
        if (invalid.select) invalid.select();
        return;
      }
      // the officer already went on in the new step (a tap or Tab between the swap and the
      // settle, ~20 ms): leave the focus with them, or their Enter would land on the heading
      const active = document.activeElement;
      const step = document.getElementById("step");
      if (active && step && step.contains(active) && !active.classList.contains("step-heading")) {
        return;
      }
      // step 1: the transaction-code field, ready for a hardware scanner; else the heading
      const first = document.querySelector("#step[data-step='1'] #code");
      const heading = document.querySelector("#wizard .step-heading");
      if (first) first.focus();
      else if (heading) heading.focus();
    });
  });
})();
