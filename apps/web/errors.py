"""The portal's own error pages, in Chinese with the menu, and JSON for the API.

Django calls these for 400, 403, 404 and 500 (config/urls.py) and for a refused
CSRF token (CSRF_FAILURE_VIEW). A 500 is rendered with as little as possible: if
even the page shell fails (the database is down, say), a plain page stands in."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from apps.core.errors import InvalidParameter

logger = logging.getLogger(__name__)


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (_("The request cannot be understood"), _("A parameter of the address is invalid.")),
        403: (
            _("Access refused"),
            _("You may not do this. If you think you should, ask your commission's administrator."),
        ),
        405: (
            _("This action is not available here"),
            _(
                "The page cannot be sent this kind of request. Use the page's own buttons, "
                "or start again from the home page."
            ),
        ),
        404: (
            _("Page not found"),
            _(
                "There is no such page, or it lies outside what your account may see. "
                "Check the address, or start again from the home page."
            ),
        ),
        500: (
            _("Something went wrong on our side"),
            _(
                "The portal could not answer this request. The error has been recorded; "
                "try again in a moment."
            ),
        ),
    }


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _respond(request: HttpRequest, status: int, message: str = "") -> HttpResponse:
    title, explanation = _titles()[status]
    if _is_api(request):
        return JsonResponse({"detail": message or title}, status=status)
    context = {"status": status, "title": title, "explanation": explanation, "message": message}
    try:
        html = loader.render_to_string("web/error.html", context, request=request)
    except Exception:
        if status != 500:
            raise
        logger.exception("the error page itself failed; serving the plain one")
        html = loader.render_to_string("500.html", context)
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    # Only our own parameter errors carry a message meant for the user.
    message = str(exception) if isinstance(exception, InvalidParameter) else ""
    return _respond(request, 400, message)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return _respond(request, 403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return _respond(request, 404)


def method_not_allowed(request: HttpRequest, allowed) -> HttpResponse:
    response = _respond(request, 405)
    response["Allow"] = ", ".join(sorted(allowed))
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    return _respond(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _respond(
        request,
        403,
        _(
            "The form had expired or came from another page. Go back, reload the page "
            "and send it again."
        ),
    )
