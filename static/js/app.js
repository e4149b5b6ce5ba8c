document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  field.select();
  navigator.clipboard?.writeText(field.value).then(() => { button.textContent = "Copied"; });
});
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
});
// A form with data-confirm asks before it is sent (Delete, Revoke, Remove, Leave).
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
}, true);
// A form with data-busy shows that it is working: its button is disabled and says so,
// with a spinner, until the next page arrives.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-busy]");
  if (!form || event.defaultPrevented) return;
  const button = form.querySelector("button[type=submit], button:not([type])");
  if (!button) return;
  button.disabled = true;
  button.classList.add("busy");
  button.dataset.label = button.textContent;
  button.textContent = form.dataset.busy;
});
window.addEventListener("pageshow", () => {
  document.querySelectorAll("button.busy").forEach((button) => {
    button.disabled = false;
    button.classList.remove("busy");
    button.textContent = button.dataset.label;
  });
});
// An attachment whose thumbnail cannot be loaded (gone, or from a host the page does not
// load images from) shows its file name instead of a broken image.
const unloadable = (image) => image.replaceWith(image.alt || "file");
document.addEventListener("error", (event) => {
  if (event.target.tagName === "IMG" && event.target.closest(".cell-attachment")) unloadable(event.target);
}, true);
// Images refused before this script ran (it is deferred) already failed: look once.
document.querySelectorAll(".cell-attachment img").forEach((image) => {
  if (image.complete && image.naturalWidth === 0) unloadable(image);
});
