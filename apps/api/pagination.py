from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Page numbers, 100 per page by default. A `page_size` outside 1..1000 is
    refused with 400 rather than silently clamped, so a client asking for more
    rows than it gets is told so."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    page_size_query_description = gettext_lazy(
        "Rows per page, 1 to 1000 (default 100; 400 outside that range)."
    )

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("page_size must be a whole number from 1 to %(max)d.")
                        % {"max": self.max_page_size}
                    ]
                }
            )
        return size
