// hipwatch: the navbar's selectors and the confirmations, for every page.
(function () {
  "use strict";

  // A selector marked data-submit-on-change submits its form when changed; the
  // period menu's "custom range" entry shows two dates instead.
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (option && option.hasAttribute("data-custom-range")) {
        var range = document.getElementById("nav-range");
        if (range) {
          range.classList.remove("d-none");
          range.classList.add("d-flex");
          document.getElementById("nav-from").focus();
        }
        return;
      }
      select.form.submit();
    });
  });

  var apply = document.getElementById("nav-range-apply");
  if (apply) {
    apply.addEventListener("click", function () {
      var from = document.getElementById("nav-from").value;
      var to = document.getElementById("nav-to").value;
      if (!from || !to) return;
      var select = document.getElementById("nav-period");
      var option = document.createElement("option");
      option.value = from + "~" + to;
      option.selected = true;
      select.appendChild(option);
      select.form.submit();
    });
  }
})();
