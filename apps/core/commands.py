"""Shared plumbing for the import commands: run a service, print its result or
every reason the file was refused."""

from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from apps.core.results import ImportResult
from apps.core.tabular import FileRefused


class TranslatedCommand(BaseCommand):
    """A command whose `help` is a lazy translation: argparse needs a plain string,
    so it is resolved in the active language when the parser is built."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)


def run_import(command: BaseCommand, label: str, call: Callable[[], ImportResult]) -> None:
    try:
        result = call()
    except FileRefused as refused:
        for problem in refused.problems:
            command.stderr.write(problem)
        raise CommandError(
            _("%(label)s: the file was refused (%(n)d problems); nothing was written.")
            % {"label": label, "n": len(refused.problems)}
        ) from None
    except FileNotFoundError as exc:
        raise CommandError(_("File not found: %(filename)s") % {"filename": exc.filename}) from None
    command.stdout.write(
        _("%(label)s: %(summary)s") % {"label": label, "summary": result.summary()}
    )
    for note in result.notes:
        command.stdout.write(note)
