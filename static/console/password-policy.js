// Hide the custom settings while "IAM default" is chosen, like the AWS console.
(function () {
  function update() {
    var chosen = document.querySelector('input[name="policy_type"]:checked');
    document.querySelectorAll("[data-policy=custom]").forEach(function (el) {
      el.hidden = chosen && chosen.value === "default";
    });
  }
  document.querySelectorAll('input[name="policy_type"]').forEach(function (r) {
    r.addEventListener("change", update);
  });
  update();
})();
