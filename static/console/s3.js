// S3 console pages. Everything here is a convenience: each form works without it.
(function () {
  // Objects table: the header checkbox selects every row, as on the AWS console.
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    var form = all.closest("form");
    all.addEventListener("change", function () {
      form.querySelectorAll('input[type=checkbox][name="key"]').forEach(function (box) { box.checked = all.checked; });
    });
  });

  // Edit Block public access: "Block all public access" is the four settings at once,
  // and it reads as on only while all four are on.
  var blockForm = document.querySelector("[data-block-public-access]");
  if (blockForm) {
    var blockAll = blockForm.querySelector("[data-block-all]");
    var settings = blockForm.querySelectorAll('.indent input[type=checkbox]');
    blockAll.addEventListener("change", function () {
      settings.forEach(function (box) { box.checked = blockAll.checked; });
    });
    settings.forEach(function (box) {
      box.addEventListener("change", function () {
        blockAll.checked = Array.prototype.every.call(settings, function (b) { return b.checked; });
      });
    });
  }

  // Upload: list the chosen files (name, type, size) before they are sent.
  var input = document.querySelector("[data-upload-files]");
  var list = document.querySelector("[data-upload-list]");
  if (input && list) {
    input.addEventListener("change", function () {
      var body = list.querySelector("tbody");
      body.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        var row = document.createElement("tr");
        [file.name, file.type || "-", size(file.size)].forEach(function (text) {
          var cell = document.createElement("td");
          cell.textContent = text;
          row.appendChild(cell);
        });
        body.appendChild(row);
      });
      list.hidden = input.files.length === 0;
    });
  }

  function size(bytes) {
    if (!bytes) return "0 B";
    var units = ["B", "KB", "MB", "GB", "TB"];
    var value = bytes, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return value.toFixed(1) + " " + units[unit];
  }
})();
