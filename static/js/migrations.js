// Migrate wizard: choosing a destination frame moves on to the next step.
(function () {
  "use strict";
  document.querySelectorAll("form[data-autosubmit]").forEach((form) => {
    form.addEventListener("change", () => form.requestSubmit());
  });
})();
