from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _changed(sender, **kwargs) -> None:
    from apps.core.versioning import data_changed

    data_changed()


class MetricsConfig(AppConfig):
    name = "apps.metrics"
    verbose_name = _("Metrics")

    def ready(self) -> None:
        """Every saved or deleted registry row a figure reads moves the data version,
        so the cached figures (figures.py) follow any change, the admin's included.
        The statistics are written only by apps/uploads/services.py, which bumps the
        version itself: a signal on them would turn each bulk DELETE of a night's
        rows into a fetch and a signal per row."""
        from apps.institutions.models import Institution
        from apps.onboarding.models import OnboardingPlan, PhaseTarget
        from apps.platforms.models import (
            CatalogueTable,
            Connection,
            ConnectionChange,
            Platform,
            TableEdition,
        )
        from apps.regions.models import Region

        for model in (
            Region,
            Institution,
            Platform,
            TableEdition,
            CatalogueTable,
            Connection,
            ConnectionChange,
            # A phase's go-live dates (its deadline, a target's own) change figures.
            OnboardingPlan,
            PhaseTarget,
        ):
            post_save.connect(_changed, sender=model, dispatch_uid=f"data-version-save-{model}")
            post_delete.connect(_changed, sender=model, dispatch_uid=f"data-version-delete-{model}")
