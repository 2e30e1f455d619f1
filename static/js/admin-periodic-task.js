// The admin's periodic task form (django-celery-beat's, overridden in
// templates/admin/djcelery/ to load this file instead of its inline script): the chosen
// crontab read out under the field's help, the read-only translation field hidden.
(function () {
  "use strict";
  var $ = window.django && window.django.jQuery;
  var data = document.getElementById("readable-crontabs");
  if (!$ || !data) return;
  var readable = JSON.parse(data.textContent);
  var help = $(".field-crontab .help");
  var original = help.text().trim();

  $(".field-crontab_translation").hide();
  // Bound with the admin's jQuery, as the original: the related-object popups
  // announce a new choice with jQuery's trigger("change").
  $(".field-crontab").change(function () {
    var reading = readable[$("#id_crontab").val()];
    help.text(original);
    if (reading) help.append($("<br>"), document.createTextNode("Translation: " + reading));
  });
})();
