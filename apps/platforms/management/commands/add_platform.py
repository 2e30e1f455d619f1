from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand
from apps.platforms.models import Platform
from apps.platforms.services import CommandRefused, platform_add
from apps.regions.models import Region


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Register a platform: add_platform CODE NAME [--level city|province] [--region CODE]"
    )

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("name")
        parser.add_argument("--level", default=Platform.Level.CITY, choices=Platform.Level.values)
        parser.add_argument(
            "--region",
            help=gettext_lazy("the region whose commission runs it (its officers watch the pulls)"),
        )

    def handle(self, *args, code, name, level, region=None, **options):
        served = None
        if region:
            served = Region.objects.filter(code=region).first()
            if served is None:
                raise CommandError(_("Unknown region code “%(code)s”.") % {"code": region})
        try:
            platform = platform_add(code=code, name=name, level=level, region=served)
        except CommandRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _("Platform %(code)s: %(name)s (%(level)s)")
            % {"code": platform.code, "name": platform.name, "level": platform.get_level_display()}
        )
