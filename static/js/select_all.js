// "Select all" checkboxes without inline handlers (the Content-Security-Policy forbids them and hx-on's eval):
// <input type="checkbox" data-select-all="NAME"> ticks or clears every checkbox named NAME in its table. The
// listener sits on the document, so it keeps working when htmx swaps the table.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[type=checkbox][data-select-all]")) return;
    var scope = box.closest("table") || document;
    scope.querySelectorAll('input[type=checkbox][name="' + box.dataset.selectAll + '"]').forEach(function (other) {
      other.checked = box.checked;
    });
  });
})();
