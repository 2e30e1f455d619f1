from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import User
from apps.accounts.services import user_add
from apps.core.commands import TranslatedCommand
from apps.platforms.services import CommandRefused


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Create or update a user: "
        "add_user USERNAME --role province|city|county|hospital --scope CODE [--password P]"
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=User.Role.values)
        parser.add_argument(
            "--scope",
            required=True,
            help=_("Region code (city, county) or institution code (hospital)"),
        )
        parser.add_argument("--password")
        parser.add_argument("--name", default="", help=_("The name pages show"))

    def handle(self, *args, username, role, scope, password, name, **options):
        try:
            user = user_add(
                username=username, role=role, scope=scope, password=password, display_name=name
            )
        except CommandRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _("User %(username)s: %(role)s, scope %(scope)s")
            % {
                "username": user.username,
                "role": user.get_role_display(),
                "scope": user.scope_label,
            }
        )
