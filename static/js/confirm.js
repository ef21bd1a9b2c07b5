// Confirmation before an irreversible form submission, without an inline onsubmit (the Content-Security-Policy
// forbids inline handlers): <form data-confirm="Question?"> asks first and submits only when confirmed.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
