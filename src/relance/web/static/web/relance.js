// Relance's only script besides htmx: copy a prepared message to the clipboard (and,
// on a link, then follow it: "copy and open LinkedIn"), and keep the keyboard's place when
// htmx replaces an agenda row. No inline script anywhere (CSP).
"use strict";

// After a row's action, htmx swaps the row: the button that had the focus is gone and the
// focus would fall to the page's body. Move it to what the action did (the row's message,
// marked data-focus); #row-status, outside the row, announces it.
document.addEventListener("htmx:load", function (event) {
  const root = event.detail.elt;
  if (!root || !root.querySelector) return;
  const target = root.matches("[data-focus]") ? root : root.querySelector("[data-focus]");
  if (!target) return;
  target.removeAttribute("data-focus");
  target.focus();
});
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
