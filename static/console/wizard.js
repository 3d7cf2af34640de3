// Shows one step of a wizard form at a time, as the AWS console does. The form is one
// POST; without JavaScript every step stays visible and the form still works.
(function () {
  var wizard = document.querySelector("[data-wizard]");
  if (!wizard) return;
  var steps = wizard.querySelectorAll("[data-step]");
  var labels = wizard.querySelectorAll("[data-step-label]");
  var current = 1;
  var firstError = wizard.querySelector(".has-error, .alert-error");
  if (firstError) {
    var section = firstError.closest("[data-step]");
    if (section) current = Number(section.getAttribute("data-step"));
  }
  function show(n) {
    current = n;
    steps.forEach(function (s) { s.hidden = Number(s.getAttribute("data-step")) !== n; });
    labels.forEach(function (l) { l.classList.toggle("active", Number(l.getAttribute("data-step-label")) === n); });
    window.scrollTo(0, 0);
  }
  wizard.querySelectorAll("[data-next]").forEach(function (b) { b.addEventListener("click", function () { show(current + 1); }); });
  wizard.querySelectorAll("[data-prev]").forEach(function (b) { b.addEventListener("click", function () { show(current - 1); }); });
  function toggles() {
    wizard.querySelectorAll("[data-show-if]").forEach(function (el) {
      var box = wizard.querySelector('[name="' + el.getAttribute("data-show-if") + '"]');
      el.hidden = box && !box.checked;
    });
    var option = wizard.querySelector('input[name="permissions_option"]:checked');
    wizard.querySelectorAll("[data-show-if-option]").forEach(function (el) {
      el.hidden = option && el.getAttribute("data-show-if-option") !== option.value;
    });
  }
  wizard.addEventListener("change", toggles);
  toggles();
  show(current);
})();
