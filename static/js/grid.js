// Spreadsheet-like grids: add rows from the formset's empty form, and paste blocks of cells
// copied from a spreadsheet (tab-separated columns, one line per row) starting at any cell.
(function () {
  "use strict";

  function setCell(cell, text) {
    const control = cell.querySelector("input:not([type=hidden]), select, textarea");
    if (!control) return;
    const value = text.trim();
    if (control.tagName === "SELECT") {
      const wanted = value.toLowerCase();
      const option = Array.from(control.options).find(
        (o) => o.value.toLowerCase() === wanted || o.text.trim().toLowerCase() === wanted
      );
      control.value = option ? option.value : "";
    } else if (control.type === "checkbox") {
      control.checked = ["1", "true", "yes", "x"].includes(value.toLowerCase());
    } else {
      control.value = value;
    }
    control.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function setupGrid(grid) {
    const form = grid.closest("form");
    const prefix = grid.dataset.prefix;
    const total = form.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
    const template = form.querySelector("template[data-empty-row]");
    const body = grid.tBodies[0];

    function addRow() {
      if (!template) return null;
      const index = Number(total.value);
      const html = template.innerHTML.replace(/__prefix__/g, String(index));
      body.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      return body.rows[body.rows.length - 1];
    }

    const addButton = form.querySelector("[data-add-row]");
    if (addButton) addButton.addEventListener("click", addRow);

    grid.addEventListener("paste", (event) => {
      const text = (event.clipboardData || window.clipboardData).getData("text");
      if (!/[\t\n]/.test(text.replace(/\n$/, ""))) return;
      const cell = event.target.closest("td.grid-cell");
      if (!cell) return;
      event.preventDefault();
      const rows = Array.from(body.rows).filter((r) => r.hasAttribute("data-row"));
      const startRow = rows.indexOf(cell.parentElement);
      const startCol = Array.from(cell.parentElement.querySelectorAll("td.grid-cell")).indexOf(cell);
      const lines = text.replace(/\r/g, "").replace(/\n$/, "").split("\n");
      lines.forEach((line, r) => {
        let row = rows[startRow + r];
        if (!row) {
          row = addRow();
          if (!row) return;
          rows.push(row);
        }
        const cells = row.querySelectorAll("td.grid-cell");
        line.split("\t").forEach((value, c) => {
          if (cells[startCol + c]) setCell(cells[startCol + c], value);
        });
      });
    });
  }

  document.querySelectorAll("table[data-grid]").forEach(setupGrid);
})();
