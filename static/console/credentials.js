// "Show" reveals the new password; "Download .csv file" builds credentials.csv in the
// browser, so the password is never stored on the server to be fetched again.
(function () {
  var box = document.querySelector("[data-credentials]");
  if (!box) return;
  var secret = box.querySelector("[data-secret]");
  var mask = box.querySelector("[data-mask]");
  var toggle = box.querySelector("[data-toggle-secret]");
  toggle.addEventListener("click", function () {
    var showing = !secret.hidden;
    secret.hidden = showing;
    mask.hidden = !showing;
    toggle.textContent = showing ? "Show" : "Hide";
  });
  function field(value) { return '"' + String(value).replace(/"/g, '""') + '"'; }
  box.querySelector("[data-download-csv]").addEventListener("click", function () {
    var csv = "User name,Password,Console sign-in URL\r\n" +
      [box.getAttribute("data-user-name"), secret.textContent, box.getAttribute("data-signin-url")].map(field).join(",") + "\r\n";
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
    link.download = "credentials.csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
  });
})();
