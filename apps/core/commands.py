"""Shared plumbing for the import commands: run a service, print its result or
every reason the file was refused."""

from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError

from apps.core.results import ImportResult
from apps.core.tabular import FileRefused


def run_import(command: BaseCommand, label: str, call: Callable[[], ImportResult]) -> None:
    try:
        result = call()
    except FileRefused as refused:
        for problem in refused.problems:
            command.stderr.write(problem)
        raise CommandError(
            f"{label}：文件被拒绝，共 {len(refused.problems)} 处问题，未写入任何数据。"
        ) from None
    except FileNotFoundError as exc:
        raise CommandError(f"找不到文件：{exc.filename}") from None
    command.stdout.write(f"{label}：{result.summary()}")
    for note in result.notes:
        command.stdout.write(note)
