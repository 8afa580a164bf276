// List pages: the header checkbox selects every row for bulk edit.
(function () {
  "use strict";
  document.querySelectorAll("input[data-select-all]").forEach((all) => {
    all.addEventListener("change", () => {
      all.closest("table").querySelectorAll('tbody input[name="pk"]').forEach((box) => {
        box.checked = all.checked;
      });
    });
  });
})();
