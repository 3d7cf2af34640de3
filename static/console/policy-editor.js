// The JSON policy editor: Tab indents instead of leaving the textarea, and the wizard's
// Next checks the JSON first, as the AWS console does before "Review and create". The
// server still judges the document (CreatePolicy); this only saves a round trip.
(function () {
  var editor = document.querySelector("[data-policy-editor]");
  if (!editor) return;
  var message = document.querySelector("[data-json-error]");
  editor.addEventListener("keydown", function (event) {
    if (event.key !== "Tab" || event.shiftKey) return;
    event.preventDefault();
    var start = editor.selectionStart;
    editor.setRangeText("    ", start, editor.selectionEnd, "end");
  });
  function valid() {
    try {
      JSON.parse(editor.value);
      if (message) message.hidden = true;
      return true;
    } catch (error) {
      if (message) {
        message.textContent = "Syntax errors in policy.";
        message.hidden = false;
      }
      return false;
    }
  }
  editor.addEventListener("input", function () { if (message && !message.hidden) valid(); });
  var wizard = document.querySelector("[data-wizard]");
  if (wizard) {
    // Capture phase on the wizard runs before wizard.js's listener on the button.
    wizard.addEventListener("click", function (event) {
      var next = event.target.closest("[data-next]");
      if (next && next.closest("[data-step]").contains(editor) && !valid()) {
        event.stopPropagation();
        editor.focus();
      }
    }, true);
  }
})();
