// Set up device: "Show QR code" and "Show secret key" reveal what the page was rendered
// with (hidden until asked for, as the AWS console does). Nothing is fetched: the seed
// is on this page once and nowhere else.
(function () {
  var box = document.querySelector("[data-mfa-setup]");
  if (!box) return;
  box.querySelectorAll("[data-reveal-toggle]").forEach(function (toggle) {
    var target = box.querySelector('[data-reveal="' + toggle.getAttribute("data-reveal-toggle") + '"]');
    if (!target) return;
    toggle.addEventListener("click", function () {
      target.hidden = !target.hidden;
      toggle.textContent = toggle.getAttribute(target.hidden ? "data-show-label" : "data-hide-label");
    });
  });
})();
