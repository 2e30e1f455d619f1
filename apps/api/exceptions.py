"""API errors in Chinese: DRF's own messages are translated, but a 404 raised by
Django's `get_object_or_404` carries an English sentence naming the model."""

from django.http import Http404
from rest_framework.exceptions import NotFound
from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = NotFound()
    return exception_handler(exc, context)
