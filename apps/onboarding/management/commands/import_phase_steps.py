from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand, run_import
from apps.onboarding.services import phase_steps_import
from apps.platforms.management.commands._args import platform_arg


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Import the days institutions completed a build-out phase's steps "
        "(org_code,step,done_on; an empty day clears the step)"
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
            _("Build-out step dates"),
            lambda: phase_steps_import(source=file, platform=platform_obj, phase=phase),
        )
