from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand
from apps.onboarding.services import plan_create
from apps.platforms.management.commands._args import date_arg, platform_arg


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Create a build-out phase of a platform with its go-live deadline (and its steps, "
        "or the four usual ones); audited"
    )

    def add_arguments(self, parser):
        parser.add_argument("platform")
        parser.add_argument("name", help=_("The phase's name, e.g. the second phase"))
        parser.add_argument("--deadline", required=True, help=_("Go-live deadline, YYYY-MM-DD"))
        parser.add_argument("--note", default="")
        parser.add_argument(
            "--steps", default="", help=_("The steps in order, separated by commas")
        )

    def handle(self, *args, platform, name, deadline, note, steps, **options):
        try:
            plan = plan_create(
                platform=platform_arg(platform),
                name=name,
                deadline=date_arg(deadline),
                note=note,
                steps=[s.strip() for s in steps.split(",") if s.strip()],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            _("Build-out phase %(name)s of %(platform)s created, due %(deadline)s: %(steps)s")
            % {
                "name": plan.name,
                "platform": plan.platform.name,
                "deadline": plan.deadline.isoformat(),
                "steps": " → ".join(plan.steps.values_list("name", flat=True)),
            }
        )
