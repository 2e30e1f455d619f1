"""Sign-in throttling: django-axes' check, before the password is looked at; and
the model backend that signs users in."""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

UserModel = get_user_model()


class ThrottledSignInBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every sign-in that comes with a request (the
    login page, the admin's, DRF). A call without one (`Client.login` in tests, a
    shell) cannot come from the network, so it is not throttled instead of refused:
    axes keeps counting every web sign-in, and AXES_ENABLED stays on everywhere."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class PortalBackend(ModelBackend):
    """Django's model backend, the signed-in user read with the region and the
    institution every page shows beside the name, and the institution's region that
    decides a hospital user's platforms (one query instead of three)."""

    def get_user(self, user_id):
        user = (
            UserModel._default_manager.select_related("region", "institution__region")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
