/* Progressive enhancement of read-only addresses (templates/booking/feeds):
   shows each "Kopieren" button, copies its field's text and says so in the
   field's status line. Without JavaScript the fields are selected by hand. */
(function () {
  "use strict";
  function select(input) {
    input.focus();
    input.select();
    input.setSelectionRange(0, input.value.length);
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-copy") + "-status");
    if (!input) { return; }
    button.hidden = false;
    input.addEventListener("focus", function () { input.select(); });
    button.addEventListener("click", function () {
      function say(text) { if (status) { status.textContent = text; } }
      function fallback() {
        select(input);
        var copied = false;
        try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
        say(button.getAttribute(copied ? "data-done" : "data-failed"));
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(function () {
          select(input);
          say(button.getAttribute("data-done"));
        }, fallback);
      } else {
        fallback();
      }
    });
  });
}());
