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

// Bars take their width from data-width (a percentage): the CSP refuses style attributes.
(function () {
  "use strict";
  function sizeBars(root) {
    root.querySelectorAll("[data-width]").forEach((bar) => {
      bar.style.width = `${parseFloat(bar.dataset.width) || 0}%`;
    });
  }
  sizeBars(document);
  // After any swap: an outerHTML swap replaces the element the event names.
  document.body.addEventListener("htmx:afterSettle", () => sizeBars(document));
})();

// "/" anywhere but in a field puts the cursor in the navigation bar's search.
(function () {
  "use strict";
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest("input, textarea, select, [contenteditable]")) return;
    const search = document.getElementById("global-search");
    if (!search) return;
    event.preventDefault();
    const collapse = search.closest(".navbar-collapse");
    if (collapse && !collapse.classList.contains("show") && window.bootstrap) {
      window.bootstrap.Collapse.getOrCreateInstance(collapse).show();
    }
    search.focus();
    search.select();
  });
})();
