"""Celery task: thin, calls the service."""

from celery import shared_task

from .services import bulletin_typeset


@shared_task(acks_late=True, reject_on_worker_lost=True)
def typeset_bulletin(bulletin_id: int) -> bool:
    """Typeset a published bulletin's PDF (idempotent: a stored PDF is kept)."""
    return bulletin_typeset(bulletin_id=bulletin_id)
