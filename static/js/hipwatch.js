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

// A select marked data-follows="NAME" offers only the options of the value chosen in
// the form's select NAME (each option's data-platform): the bulletin form lists the
// chosen platform's own periods, and takes its default (data-default) when the
// period chosen before is not one of them.
(function () {
  "use strict";
  document.querySelectorAll("select[data-follows]").forEach(function (select) {
    var leader = select.form && select.form.elements[select.getAttribute("data-follows")];
    if (!leader) return;
    function follow() {
      var wanted = leader.value;
      var current = select.value;
      var keep = null;
      var preset = null;
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var own = option.getAttribute("data-platform") === wanted;
        option.hidden = option.disabled = !own;
        if (!own) return;
        if (first === null) first = option;
        if (keep === null && option.value === current) keep = option;
        if (preset === null && option.hasAttribute("data-default")) preset = option;
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        group.hidden = !group.querySelector("option:not([disabled])");
      });
      var chosen = keep || preset || first;
      if (chosen) chosen.selected = true;
    }
    leader.addEventListener("change", function () {
      select.value = "";
      follow();
    });
    follow();
  });
})();
