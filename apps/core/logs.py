"""Logging of what the portal answers: a user's bad parameter is theirs, not ours."""

import logging

from django.core.exceptions import BadRequest


class OneLineBadRequests(logging.Filter):
    """A 400 for a parameter the portal cannot take (InvalidParameter, a BadRequest)
    is logged as Django writes it — one warning line with the reason and the path —
    without the traceback, which says nothing about the portal."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], BadRequest):
            record.exc_info = None
            record.exc_text = None
        return True
