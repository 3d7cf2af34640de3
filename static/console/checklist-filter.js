// Filters a long checkbox list (policies to attach) by the text typed above it. Ticked
// boxes stay ticked while hidden, so filtering never changes what is submitted.
(function () {
  document.querySelectorAll("[data-checklist]").forEach(function (list) {
    var input = list.querySelector("[data-checklist-filter]");
    if (!input) return;
    var items = list.querySelectorAll("[data-checklist-item]");
    function apply() {
      var text = input.value.trim().toLowerCase();
      items.forEach(function (item) { item.hidden = text !== "" && item.textContent.toLowerCase().indexOf(text) === -1; });
    }
    input.addEventListener("input", apply);
    input.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); apply(); } });
  });
})();
