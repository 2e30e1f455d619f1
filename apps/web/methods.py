"""The methods middleware: a request whose method the view does not declare
(`apps.core.methods.accepts`) is refused with the portal's 405 page before the view
runs. Class-based views (sign-in, sign-out, the API) keep their own
`http_method_names`; Django's own apps (the admin) are left as they are."""

from __future__ import annotations

from django.http import HttpRequest

from apps.core.methods import SAFE

from .errors import method_not_allowed


class MethodsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if hasattr(view_func, "view_class") or hasattr(view_func, "cls"):
            return None
        if not (view_func.__module__ or "").startswith("apps."):
            return None
        allowed = getattr(view_func, "http_methods", SAFE)
        if request.method in allowed:
            return None
        return method_not_allowed(request, allowed)
