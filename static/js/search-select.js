// Searchable selects (Tom Select): a related object is chosen by name. A select with
// data-options-url asks the server for the names matching what is typed; one with the
// "searchable" class searches its own options.
(function () {
  "use strict";
  function remote(select) {
    const url = select.dataset.optionsUrl;
    return new TomSelect(select, {
      valueField: "value",
      labelField: "text",
      searchField: ["text"],
      maxOptions: 20,
      preload: "focus",
      allowEmptyOption: true,
      loadThrottle: 200,
      load(query, callback) {
        fetch(`${url}?q=${encodeURIComponent(query)}`, { credentials: "same-origin" })
          .then((response) => response.json())
          .then((body) => callback(body.results))
          .catch(() => callback());
      },
    });
  }
  function enhance(root) {
    if (typeof TomSelect === "undefined") return;
    root.querySelectorAll("select[data-options-url]").forEach((select) => {
      if (!select.tomselect) remote(select);
    });
    root.querySelectorAll("select.searchable").forEach((select) => {
      if (!select.tomselect) new TomSelect(select, { allowEmptyOption: true, maxOptions: 200 });
    });
  }
  enhance(document);
  document.body.addEventListener("htmx:afterSettle", (event) => enhance(event.target));
})();
