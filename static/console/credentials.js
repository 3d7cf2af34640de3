// "Show" reveals a new secret; "Download .csv file" builds the CSV in the browser from
// the fields marked data-csv-field, so the secret is never stored on the server to be
// fetched again (AWS: "This is the only time that the secret can be viewed").
(function () {
  var box = document.querySelector("[data-credentials]");
  if (!box) return;
  box.querySelectorAll("[data-toggle-secret]").forEach(function (toggle) {
    var holder = toggle.parentElement;
    var secret = holder.querySelector("[data-secret]");
    var mask = holder.querySelector("[data-mask]");
    toggle.addEventListener("click", function () {
      var showing = !secret.hidden;
      secret.hidden = showing;
      mask.hidden = !showing;
      toggle.textContent = showing ? "Show" : "Hide";
    });
  });
  function field(value) { return '"' + String(value).replace(/"/g, '""') + '"'; }
  box.querySelector("[data-download-csv]").addEventListener("click", function () {
    var values = Array.prototype.map.call(box.querySelectorAll("[data-csv-field]"), function (el) {
      return field(el.textContent.trim());
    });
    var csv = box.getAttribute("data-csv-header") + "\r\n" + values.join(",") + "\r\n";
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
    link.download = box.getAttribute("data-csv-filename");
    document.body.appendChild(link);
    link.click();
    link.remove();
  });
})();
