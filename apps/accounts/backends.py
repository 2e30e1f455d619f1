"""Sign-in throttling: django-axes' check, before the password is looked at."""

from axes.backends import AxesStandaloneBackend


class ThrottledSignInBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every sign-in that comes with a request (the
    login page, the admin's, DRF). A call without one (`Client.login` in tests, a
    shell) cannot come from the network, so it is not throttled instead of refused:
    axes keeps counting every web sign-in, and AXES_ENABLED stays on everywhere."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
