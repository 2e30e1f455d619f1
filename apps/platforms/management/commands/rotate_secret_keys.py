from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand
from apps.platforms.services import CommandRefused, secrets_rotate


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Re-encrypt every stored secret with the first key of HIPWATCH_SECRET_KEYS "
        "(after putting a new key first; the old one can be dropped afterwards)."
    )

    def handle(self, *args, **options):
        try:
            rotated, stored = secrets_rotate()
        except CommandRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _("Stored secrets re-encrypted with the first key: %(rotated)d of %(stored)d.")
            % {"rotated": rotated, "stored": stored}
        )
