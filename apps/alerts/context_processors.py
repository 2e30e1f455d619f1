from django.http import HttpRequest

from .models import Notification


def unread_notifications(request: HttpRequest) -> dict:
    """The bell's count: one COUNT query per request, for signed-in users only
    (cached on the request: tables rendered inside a page run the processors again)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not hasattr(request, "_unread_notifications"):
        request._unread_notifications = Notification.objects.filter(
            user=user, read_at__isnull=True
        ).count()
    return {"unread_notifications": request._unread_notifications}
