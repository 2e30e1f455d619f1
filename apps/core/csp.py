"""The Content-Security-Policy header (django-csp; the policy is
settings.CONTENT_SECURITY_POLICY): scripts, styles, fonts and images from the portal's
own static files only, no inline script or style, no framing."""

from csp.middleware import CSPMiddleware
from django.http import HttpRequest, HttpResponseBase


class PolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, leaving PDFs out: a browser shows a PDF in a viewer page
    of its own making (inline styles, a plugin), which the policy would leave blank;
    a PDF runs none of the portal's scripts and shows none of its pages."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if response.get("Content-Type", "").startswith("application/pdf"):
            # What django-csp's @csp_exempt() sets on a view's response.
            response._csp_exempt = True
        return super().process_response(request, response)
