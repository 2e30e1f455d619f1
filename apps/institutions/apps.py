from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    name = "apps.institutions"
    verbose_name = _("Healthcare institutions")
