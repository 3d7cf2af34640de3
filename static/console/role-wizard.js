// Create role, step 1: show only the panel of the chosen trusted entity type (and of
// the chosen sub-options), as the AWS console does. Without JavaScript every panel
// stays visible and the server uses only the chosen one.
(function () {
  var form = document.querySelector("[data-role-wizard]");
  if (!form) return;
  function update() {
    form.querySelectorAll("[data-show-if-radio]").forEach(function (el) {
      var parts = el.getAttribute("data-show-if-radio").split("=");
      var chosen = form.querySelector('input[name="' + parts[0] + '"]:checked');
      el.hidden = !chosen || chosen.value !== parts[1];
    });
    form.querySelectorAll(".tile").forEach(function (tile) {
      var radio = tile.querySelector("input[type=radio]");
      tile.classList.toggle("selected", !!(radio && radio.checked));
    });
  }
  form.addEventListener("change", update);
  update();
})();
