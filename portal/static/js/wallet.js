// eATA wallet: the travel item picker, voucher navigation (arrow keys, swipe) and printing.
// Everything works without it: the picker is a plain form of number inputs.
(() => {
  "use strict";

  function setupPicker() {
    const picker = document.getElementById("picker");
    if (!picker) return;
    const rows = Array.from(picker.querySelectorAll(".picker-row"));
    const search = document.getElementById("picker-search");
    const all = document.getElementById("picker-all");
    const none = document.getElementById("picker-none");
    picker.querySelectorAll("[hidden]").forEach((el) => { el.hidden = false; });
    const clamp = (input, value) => {
      const max = parseInt(input.dataset.max, 10);
      const v = Math.max(0, Math.min(max, value));
      input.value = v ? String(v) : "";
    };
    picker.addEventListener("click", (ev) => {
      const btn = ev.target.closest(".qty-plus, .qty-minus");
      if (!btn) return;
      const input = document.getElementById(btn.dataset.target);
      const cur = parseInt(input.value || "0", 10) || 0;
      clamp(input, cur + (btn.classList.contains("qty-plus") ? 1 : -1));
    });
    search.addEventListener("input", () => {
      const q = search.value.trim().toLowerCase();
      rows.forEach((row) => { row.hidden = q !== "" && !row.dataset.search.includes(q); });
    });
    all.addEventListener("click", () => {
      rows.filter((r) => !r.hidden).forEach((row) => {
        const input = row.querySelector("input.qty");
        clamp(input, parseInt(input.dataset.max, 10));
      });
    });
    none.addEventListener("click", () => {
      rows.filter((r) => !r.hidden).forEach((row) => { row.querySelector("input.qty").value = ""; });
    });
  }

  function setupVoucherNav() {
    const nav = document.getElementById("voucher-nav");
    if (!nav) return;
    const go = (rel) => {
      const link = nav.querySelector(`a[rel="${rel}"]`);
      if (link) window.location.assign(link.href);
    };
    document.addEventListener("keydown", (ev) => {
      const tag = (ev.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea" || tag === "select" || ev.altKey || ev.ctrlKey || ev.metaKey) return;
      if (ev.key === "ArrowLeft") go("prev");
      if (ev.key === "ArrowRight") go("next");
    });
    const card = document.getElementById("voucher-card");
    let x0 = null;
    let y0 = null;
    card.addEventListener("touchstart", (ev) => {
      x0 = ev.touches[0].clientX; y0 = ev.touches[0].clientY;
    }, { passive: true });
    card.addEventListener("touchend", (ev) => {
      if (x0 === null) return;
      const dx = ev.changedTouches[0].clientX - x0;
      const dy = ev.changedTouches[0].clientY - y0;
      x0 = null;
      if (Math.abs(dx) > 60 && Math.abs(dx) > 2 * Math.abs(dy)) go(dx < 0 ? "next" : "prev");
    });
  }

  function setupPrint() {
    const btn = document.getElementById("print-button");
    if (btn) btn.addEventListener("click", () => window.print());
  }

  document.addEventListener("DOMContentLoaded", () => {
    setupPicker();
    setupVoucherNav();
    setupPrint();
  });
})();
