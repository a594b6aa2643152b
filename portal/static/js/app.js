// eATA's own script: keep it small. The progress bar follows htmx requests on the whole page.
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.getElementById("progress");
  if (!bar) return;
  document.body.addEventListener("htmx:beforeRequest", () => bar.classList.add("htmx-request"));
  document.body.addEventListener("htmx:afterRequest", () => bar.classList.remove("htmx-request"));
});

// htmx answers leave the CSRF field out of their forms (htmx sends the token in a header), and
// htmx wires a swapped-in form up only when the swap settles (~20 ms later). A form submitted
// before that (Enter or a tap right after the step appears) goes as a plain POST: give it the
// page's token, so the officer's action goes through instead of "The CSRF token is missing".
document.addEventListener("submit", (evt) => {
  const form = evt.target;
  if (!(form instanceof HTMLFormElement) || form.method !== "post" ||
      form.querySelector("input[name=csrf_token]")) return;
  let token;
  try {
    token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  } catch (e) {
    return;
  }
  if (!token) return;
  const input = document.createElement("input");
  input.type = "hidden";
  input.name = "csrf_token";
  input.value = token;
  form.appendChild(input);
}, true);
