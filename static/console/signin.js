// Show the email field for "Root user" and the account field for "IAM user", as the
// AWS sign-in page does. Without JavaScript both fields stay visible and still work.
(function () {
  var radios = document.querySelectorAll('input[name="user_type"]');
  function update() {
    var chosen = document.querySelector('input[name="user_type"]:checked');
    var type = chosen ? chosen.value : "root";
    document.querySelectorAll("[data-user-type]").forEach(function (el) {
      el.hidden = el.getAttribute("data-user-type") !== type;
    });
  }
  radios.forEach(function (r) { r.addEventListener("change", update); });
  update();
})();
