// Small enhancements; every page works without them.
"use strict";

// The CV form: a dropped file goes into the file input; a file over 5 MB is refused
// here at once, rather than after a long upload (the server checks again).
function setUpUpload(form) {
  const input = form.querySelector('input[type="file"]');
  const zone = form.querySelector(".dropzone");
  const chosen = form.querySelector(".chosen");
  const problem = form.querySelector(".client-error");
  const limit = Number(form.dataset.maxBytes);
  const show = () => {
    const file = input.files[0];
    chosen.textContent = file ? "Chosen: " + file.name : "";
    const tooBig = file && file.size > limit;
    problem.hidden = !tooBig;
    problem.textContent = tooBig ? "The file is too large: CVs may be at most 5 MB." : "";
    return !tooBig;
  };
  input.addEventListener("change", show);
  ["dragenter", "dragover"].forEach((name) => zone.addEventListener(name, (event) => {
    event.preventDefault();
    zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((name) => zone.addEventListener(name, () => {
    zone.classList.remove("over");
  }));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      show();
    }
  });
  form.addEventListener("submit", (event) => {
    if (!show()) event.preventDefault();
  });
}

document.querySelectorAll("form.upload").forEach(setUpUpload);

// After htmx swaps in a partial, a keyboard user keeps their place: focus moves to the
// status message when the element that had focus was swapped away.
document.body.addEventListener("htmx:afterSettle", () => {
  if (document.activeElement === document.body) {
    const flash = document.getElementById("flash");
    if (flash && flash.textContent.trim()) {
      flash.setAttribute("tabindex", "-1");
      flash.focus();
    }
  }
});
