"""The browsable API: DRF's own pages, for a user who opens the API in a browser."""

from csp.constants import UNSAFE_INLINE
from rest_framework.renderers import BrowsableAPIRenderer


class PortalBrowsableAPIRenderer(BrowsableAPIRenderer):
    """DRF's browsable API under the portal's policy, but for the inline style
    attributes its templates carry (django-csp's csp_update, on the pages it renders
    and no other response): its scripts are static files and stay under the policy."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            # What django-csp's @csp_update({...}) sets on a view's response.
            response._csp_update = {"style-src": [UNSAFE_INLINE]}
        return super().render(data, accepted_media_type, renderer_context)
