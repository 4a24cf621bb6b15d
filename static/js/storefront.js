/* Page behaviours that used to be inline `hx-on` handlers: the Content-Security-Policy allows no inline script
 * (and htmx would need eval for hx-on), so they live here, attached to markers in the markup.
 *
 * - [data-swap-errors]: inside it, a 400 answer is swapped in like a success — the catalog's bad-filter answer
 *   carries the form and its error.
 * - [data-drop-blank]: a request from it leaves out blank fields, so shared URLs stay short.
 * - a request htmx stops because a field is invalid (a cart quantity above the stock, sent on `change`) says why
 *   instead of doing nothing: the browser shows the field's message.
 */
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    var host = event.target.closest && event.target.closest("[data-swap-errors]");
    if (host && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:validation:halted", function (event) {
    var form = event.target.closest ? event.target.closest("form") : null;
    if (form && form.reportValidity) form.reportValidity();
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var host = event.target.closest && event.target.closest("[data-drop-blank]");
    if (!host) return;
    var formData = event.detail.formData;
    for (var [name, value] of [...formData]) {
      if (value === "") formData.delete(name);
    }
  });
})();
