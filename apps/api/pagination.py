from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Page numbers, 100 per page by default. A `page_size` outside 1..1000 is
    refused with 400 rather than silently clamped, so a client asking for more
    rows than it gets is told so."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    page_size_query_description = "每页条数，1 到 1000（默认 100；超出范围返回 400）。"

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
                        _("page_size 须为 1 到 %(max)d 之间的整数。") % {"max": self.max_page_size}
                    ]
                }
            )
        return size
