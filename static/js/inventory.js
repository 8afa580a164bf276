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

// Edit forms: changing a select marked data-reload-on-change (a virtual adapter's kind or role)
// reloads the form with what was typed, so it shows the fields of the new kind and role.
(function () {
  "use strict";
  document.querySelectorAll("select[data-reload-on-change]").forEach((select) => {
    select.addEventListener("change", () => {
      const params = new URLSearchParams();
      new FormData(select.form).forEach((value, name) => {
        if (name !== "csrfmiddlewaretoken" && typeof value === "string" && value !== "") {
          params.append(name, value);
        }
      });
      window.location.search = params.toString();
    });
  });
})();
