// A job's pipeline: drag a card to another column to move the candidate. Only an
// enhancement: each card's stage select and "Move" button do the same without a script
// (and from the keyboard); a drop sets that select and sends its form, so the server
// decides as for a click — moving back leads to the confirmation page. No inline script
// anywhere (CSP).
"use strict";

(function () {
  let dragged = null;

  function column(target) {
    return target && target.closest ? target.closest(".pipeline .column") : null;
  }

  document.addEventListener("dragstart", function (event) {
    const card = event.target.closest && event.target.closest("li.app[draggable]");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
    card.classList.add("dragging");
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.querySelectorAll(".column.drop").forEach(function (c) {
      c.classList.remove("drop");
    });
  });

  document.addEventListener("dragover", function (event) {
    const target = column(event.target);
    if (!dragged || !target) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".column.drop").forEach(function (c) {
      if (c !== target) c.classList.remove("drop");
    });
    target.classList.add("drop");
  });

  document.addEventListener("drop", function (event) {
    const target = column(event.target);
    if (!dragged || !target) return;
    event.preventDefault();
    const form = dragged.querySelector("form.move");
    const select = form && form.querySelector("select[name=stage]");
    const stage = target.dataset.stage;
    if (!select || !stage || select.value === stage) return;
    select.value = stage;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  });
})();
