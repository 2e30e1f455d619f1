from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformsConfig(AppConfig):
    name = "apps.platforms"
    verbose_name = _("Information platforms")
