// eATA's own script: keep it small. The progress bar follows htmx requests on the whole page.
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.getElementById("progress");
  if (!bar) return;
  document.body.addEventListener("htmx:beforeRequest", () => bar.classList.add("htmx-request"));
  document.body.addEventListener("htmx:afterRequest", () => bar.classList.remove("htmx-request"));
});
