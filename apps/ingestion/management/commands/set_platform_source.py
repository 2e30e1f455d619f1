import getpass
import os
import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand
from apps.ingestion.configure import SourceRefused, platform_source_save
from apps.platforms.management.commands._args import platform_arg


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Choose where a platform's pulls read: set_platform_source CODE --kind sql "
        "--url URL --query uploads=FILE [--query indicators=FILE …] [--timeout S] "
        "[--password-env VARIABLE]; or --kind files --path PATH|sftp://user@host:port/path "
        "[--key-file FILE] [--host-key 'TYPE BASE64']; or --kind http. The database "
        "password is read from standard input or the environment variable named, never "
        "from the command line."
    )

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--kind", required=True, choices=["http", "sql", "files"])
        parser.add_argument("--url", default="")
        parser.add_argument("--query", action="append", default=[], metavar="KIND=FILE")
        parser.add_argument("--timeout", type=int, default=300)
        parser.add_argument("--password-env")
        parser.add_argument("--path", default="")
        parser.add_argument("--key-file")
        parser.add_argument("--host-key")

    def _password(self, env: str | None) -> str:
        if env:
            value = os.environ.get(env, "")
            if not value:
                raise CommandError(
                    _("The environment variable %(name)s is not set or empty.") % {"name": env}
                )
            return value
        if sys.stdin.isatty():
            return getpass.getpass(_("Database password: "))
        return sys.stdin.readline().rstrip("\n")

    def handle(
        self,
        *args,
        code,
        kind,
        url,
        query,
        timeout,
        password_env,
        path,
        key_file,
        host_key,
        **options,
    ):
        platform = platform_arg(code)
        queries, password, key = {}, None, None
        if kind == "sql":
            for spec in query:
                name, sep, file = spec.partition("=")
                if not sep:
                    raise CommandError(
                        _("Write each query as KIND=FILE: %(spec)s") % {"spec": spec}
                    )
                try:
                    queries[name.strip()] = Path(file).read_text(encoding="utf-8")
                except OSError as exc:
                    raise CommandError(f"{file}: {exc.strerror}") from None
            password = self._password(password_env)
        if kind == "files" and key_file:
            try:
                key = Path(key_file).read_text(encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"{key_file}: {exc.strerror}") from None
        try:
            platform_source_save(
                platform=platform,
                source=kind,
                user=None,
                sql_url=url,
                sql_password=password,
                sql_queries=queries,
                sql_timeout=timeout,
                files_location=path,
                files_private_key=key,
                files_host_key=host_key,
            )
        except SourceRefused as exc:
            raise CommandError(" ".join(exc.problems)) from None
        self.stdout.write(
            _("Platform %(code)s reads its statistics from its %(source)s.")
            % {"code": platform.code, "source": platform.get_source_display()}
        )
