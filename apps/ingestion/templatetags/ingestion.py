from django import template

from apps.ingestion.tables import OUTCOME_CLASSES

register = template.Library()


@register.filter
def outcome_class(outcome: str) -> str:
    """The badge colour of a run's outcome, as the sync tables show it."""
    return OUTCOME_CLASSES.get(outcome, "text-bg-light")
