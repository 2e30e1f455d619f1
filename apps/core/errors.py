"""Errors whose message the user reads."""

from django.core.exceptions import BadRequest


class InvalidParameter(BadRequest):
    """A URL parameter the portal cannot take (a period, a year): the portal's 400
    page shows the message, which says what would be accepted."""
