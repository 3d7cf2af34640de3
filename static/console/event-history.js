// Event history: show the custom start and end fields only for "Custom range", offer
// true/false for Read-only, and copy an event's record. Without JavaScript every field
// stays visible and the page works the same.
(function () {
  var range = document.querySelector("[data-range]");
  var custom = document.querySelector("[data-custom-range]");
  if (range && custom) {
    var updateRange = function () { custom.hidden = range.value !== "custom"; };
    range.addEventListener("change", updateRange);
    updateRange();
  }
  var key = document.querySelector("[data-lookup-key]");
  var value = document.querySelector("[data-lookup-value]");
  if (key && value) {
    var updateHint = function () {
      value.placeholder = key.value === "ReadOnly" ? "true or false" : "Enter a value";
    };
    key.addEventListener("change", updateHint);
    updateHint();
  }
  var copy = document.querySelector("[data-copy-record]");
  var record = document.querySelector("[data-record]");
  if (copy && record && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(record.textContent).then(function () { copy.textContent = "Copied"; });
    });
  }
})();
