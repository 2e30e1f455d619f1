import getpass
import os
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand

from ._args import platform_arg


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Set a platform's statistics interface: set_platform_api CODE --url URL "
        "[--token-env VARIABLE]. The token is read from standard input, or from the "
        "environment variable named by --token-env; never from the command line."
    )

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--url", required=True)
        parser.add_argument(
            "--token-env", help=_("Name of the environment variable holding the token")
        )

    def handle(self, *args, code, url, token_env, **options):
        platform = platform_arg(code)
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise CommandError(_("Not a valid URL: %(url)s") % {"url": url}) from None
        if token_env:
            token = os.environ.get(token_env, "").strip()
            if not token:
                raise CommandError(
                    _("The environment variable %(name)s is not set or empty.")
                    % {"name": token_env}
                )
        elif sys.stdin.isatty():
            token = getpass.getpass(_("Token: ")).strip()
        else:
            token = sys.stdin.readline().strip()
        if not token:
            raise CommandError(_("No token was given."))
        platform.api_url = url.rstrip("/")
        platform.api_token = token
        platform.save(update_fields=["api_url", "api_token"])
        self.stdout.write(
            _("Platform %(code)s reads its statistics from %(url)s.")
            % {"code": platform.code, "url": platform.api_url}
        )
