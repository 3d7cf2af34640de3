// Policy simulator: show the custom policy editor only when "Custom policy" is the
// chosen source. Without JavaScript the editor stays visible and is ignored otherwise.
(function () {
  var select = document.getElementById("id_policy_source");
  var custom = document.querySelector("[data-custom-policy]");
  if (!select || !custom) return;
  function update() { custom.hidden = select.value !== "custom"; }
  select.addEventListener("change", update);
  update();
})();
