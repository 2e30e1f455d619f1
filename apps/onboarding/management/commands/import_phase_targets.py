from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand, run_import
from apps.onboarding.services import phase_targets_import
from apps.platforms.management.commands._args import platform_arg


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Import a build-out phase's target institutions (org_code[,go_live]); the file is "
        "the phase's whole list"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--platform", required=True)
        parser.add_argument(
            "--phase", required=True, help=_("Phase name, as the onboarding page names it")
        )

    def handle(self, *args, file, platform, phase, **options):
        platform_obj = platform_arg(platform)
        run_import(
            self,
            _("Build-out phase targets"),
            lambda: phase_targets_import(source=file, platform=platform_obj, phase=phase),
        )
