from django.apps import AppConfig


class InstitutionsConfig(AppConfig):
    name = "apps.institutions"
    verbose_name = "医疗机构"
