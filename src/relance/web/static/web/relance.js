// Relance's only script besides htmx: copy a prepared message to the clipboard (and,
// on a link, then follow it: "copy and open LinkedIn"). No inline script anywhere (CSP).
"use strict";
document.addEventListener("click", function (event) {
  const el = event.target.closest("[data-copy]");
  if (!el) return;
  const source = document.querySelector(el.dataset.copy);
  if (!source) return;
  const text = source.innerText;
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).catch(function () {});
  } else {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  if (el.tagName === "BUTTON" && el.dataset.done) {
    el.textContent = el.dataset.done;
  }
});
