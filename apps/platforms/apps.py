from django.apps import AppConfig


class PlatformsConfig(AppConfig):
    name = "apps.platforms"
    verbose_name = "信息平台"
