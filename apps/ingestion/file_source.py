"""A folder as a platform's source (platform-api.md, "Sources other than this
interface"): a local path or `sftp://user@host:port/path` (paramiko, a private
key), where the platform writes one file per kind and day, `<kind>-YYYY-MM-DD.csv`
(or `.xlsx`), in the files' formats. A file is taken once complete — a companion
`<name>.ok` exists, or it has not changed for `HIPWATCH_FILES_SETTLE_SECONDS` —
and its content hash is kept: the same file read twice changes nothing, a changed
file is a revision of its day. The portal never deletes, moves or writes a file."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.tabular import FileRefused, parse_count, parse_date, read_rows

from .source import Fetched, NoStatistics, NotOffered, SourceError, held_key, held_return, held_take

logger = logging.getLogger(__name__)

KINDS = ("uploads", "indicators", "quality")
NAME = re.compile(r"^(uploads|indicators|quality)-(\d{4}-\d{2}-\d{2})\.(csv|xlsx)$")
# A file bigger than this is not a day's statistics (a province's day is ~10 MB).
MAX_FILE_BYTES = 512 * 1024 * 1024


def file_name(kind: str, day: dt.date, suffix: str = "csv") -> str:
    return f"{kind}-{day.isoformat()}.{suffix}"


@dataclass(frozen=True)
class Entry:
    name: str
    size: int
    modified: float  # seconds since the epoch


class NotReady(NoStatistics):
    """The day's file is there but still being written."""


def location_problem(location: str) -> str | None:
    """Why `location` cannot be a platform's folder, or None."""
    if location.startswith("sftp://"):
        parts = urlsplit(location)
        if not parts.hostname or not parts.username:
            return _("Write the folder as sftp://user@host:port/path.")
        return None
    if not location.startswith("/"):
        return _("Write a local folder as an absolute path, or sftp://user@host:port/path.")
    return None


class _Local:
    def __init__(self, path: str):
        self.path = Path(path)

    def list(self) -> list[Entry]:
        try:
            return [
                Entry(p.name, s.st_size, s.st_mtime)
                for p in self.path.iterdir()
                if stat.S_ISREG((s := p.stat()).st_mode)
            ]
        except OSError as exc:
            raise SourceError(
                _("The folder cannot be read: %(error)s") % {"error": type(exc).__name__}
            ) from None

    def entry(self, name: str) -> Entry | None:
        """The file `name` in the folder, or None."""
        try:
            s = (self.path / name).stat()
        except FileNotFoundError:
            return None
        return Entry(name, s.st_size, s.st_mtime) if stat.S_ISREG(s.st_mode) else None

    def read(self, name: str) -> bytes:
        return (self.path / name).read_bytes()

    def close(self) -> None:
        pass


class _Sftp:
    """One SFTP session: the server's host key checked against the stored one
    (`host_key`, "type base64"); with none stored, the key offered is kept in
    `offered` for the officer to confirm (the test shows its fingerprint)."""

    def __init__(self, location: str, private_key: str, host_key: str):
        import paramiko

        parts = urlsplit(location)
        self.path = unquote(parts.path) or "/"
        self.offered = ""
        try:
            key = _private_key(private_key)
            sock_timeout = settings.HIPWATCH_PULL["connect_timeout"]
            self.transport = paramiko.Transport((parts.hostname, parts.port or 22))
            self.transport.banner_timeout = sock_timeout
            self.transport.start_client(timeout=sock_timeout)
            offered = self.transport.get_remote_server_key()
            self.offered = f"{offered.get_name()} {offered.get_base64()}"
            if host_key and host_key.split()[:2] != self.offered.split()[:2]:
                self.transport.close()
                raise SourceError(_("The SFTP server's host key is not the one stored: refused."))
            self.transport.auth_publickey(unquote(parts.username), key)
            self.sftp = paramiko.SFTPClient.from_transport(self.transport)
            self.sftp.get_channel().settimeout(settings.HIPWATCH_PULL["read_timeout"])
        except SourceError:
            raise
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise TransientError(
                _("The SFTP server did not answer: %(error)s") % {"error": type(exc).__name__}
            ) from None

    def list(self) -> list[Entry]:
        return [
            Entry(a.filename, a.st_size or 0, float(a.st_mtime or 0))
            for a in self.sftp.listdir_attr(self.path)
            if stat.S_ISREG(a.st_mode or 0)
        ]

    def entry(self, name: str) -> Entry | None:
        """The file `name` in the folder, or None."""
        try:
            a = self.sftp.stat(f"{self.path.rstrip('/')}/{name}")
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(a.st_mode or 0):
            return None
        return Entry(name, a.st_size or 0, float(a.st_mtime or 0))

    def read(self, name: str) -> bytes:
        with self.sftp.open(f"{self.path.rstrip('/')}/{name}", "rb") as handle:
            return handle.read()

    def close(self) -> None:
        self.transport.close()


def _private_key(text: str):
    import paramiko

    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise SourceError(_("The private key is not an OpenSSH or PEM private key."))


class TransientError(SourceError):
    """A dropped or refused connection: tried again with backoff."""


def fingerprint(host_key: str) -> str:
    """A host key's SHA256 fingerprint as ssh-keygen prints it."""
    import base64

    try:
        blob = base64.b64decode(host_key.split()[1])
    except (IndexError, ValueError):
        return ""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _item(measure, row) -> dict:
    """A file's row as a pulled item: counts as numbers where they are ones, the
    day as ISO text where it is a day; anything else as written, for the checks
    to refuse with their reason."""
    day = parse_date(row.values["date"])
    item = {
        "date": day.isoformat() if day else row.values["date"],
        "org_code": row.values["org_code"],
        measure.code: row.values[measure.code],
    }
    for name in measure.value_names:
        count = parse_count(row.values[name])
        item[name] = row.values[name] if count is None else count
    return item


class FileSource:
    """A platform's folder, read as `PlatformSource` reads the HTTP interface."""

    def __init__(
        self,
        location: str,
        *,
        private_key: str = "",
        host_key: str = "",
        retries: int | None = None,
    ):
        problem = location_problem(location)
        if problem:
            raise SourceError(problem)
        conf = settings.HIPWATCH_PULL
        self.location, self.private_key, self.host_key = location, private_key, host_key
        self.retries = conf["retries"] if retries is None else retries
        self.backoff, self.backoff_max = conf["backoff"], conf["backoff_max"]
        self.offered_host_key = ""

    def _open(self):
        if self.location.startswith("sftp://"):
            folder = _Sftp(self.location, self.private_key, self.host_key)
            self.offered_host_key = folder.offered
            return folder
        return _Local(self.location)

    def _with_folder(self, work):
        """`work(folder)`, on a new session each attempt (or the one held open by
        `sources_held`): a dropped session or a refused connection is tried again
        with backoff; a held session found dead is replaced at once."""
        key = held_key("files", self.location, self.private_key, self.host_key)
        attempt = 0
        while True:
            folder = held_take(key)
            reused = folder is not None
            try:
                folder = folder or self._open()
                result = work(folder)
            except TransientError as exc:
                failure = exc
            except SourceError:
                # An answer (no file yet, a host key refused): not retried; a
                # session that gave it is fine.
                if folder is not None:
                    held_return(key, folder)
                raise
            except (OSError, EOFError) as exc:
                failure = exc
            except Exception as exc:  # paramiko's SSHException and kin
                if type(exc).__module__.split(".")[0] != "paramiko":
                    if folder is not None:
                        folder.close()
                    raise
                failure = exc
            else:
                held_return(key, folder)
                return result
            if folder is not None:
                with contextlib.suppress(Exception):
                    folder.close()
            if reused:
                continue  # the held session had died while idle: a new one, now
            if attempt == self.retries:
                if isinstance(failure, SourceError):
                    raise failure
                if isinstance(failure, (OSError, EOFError)):
                    raise SourceError(
                        _("The folder could not be read: %(error)s")
                        % {"error": type(failure).__name__}
                    ) from None
                raise failure
            logger.warning("reading %s failed (attempt %d)", self.location, attempt + 1)
            time.sleep(min(self.backoff * 2**attempt, self.backoff_max))
            attempt += 1

    def listing(self) -> list[Entry]:
        return self._with_folder(lambda folder: folder.list())

    def measure_day(self, measure, day: dt.date, newer_than: dt.datetime | None = None) -> Fetched:
        """The kind's file of `day`, once complete; its rows as items (a row the
        file's reader refuses is an item refused with its reason). The Fetched
        carries the file's name and content hash."""

        def work(folder) -> Fetched:
            # The day's file asked by name (a folder holds years of them).
            entry = next(
                (
                    found
                    for suffix in ("csv", "xlsx")
                    if (found := folder.entry(file_name(measure.name, day, suffix)))
                ),
                None,
            )
            if entry is None:
                raise NoStatistics(
                    _("No file %(name)s in the folder.") % {"name": file_name(measure.name, day)}
                )
            settled = time.time() - entry.modified >= settings.HIPWATCH_FILES_SETTLE_SECONDS
            if not settled and folder.entry(f"{entry.name}.ok") is None:
                raise NotReady(
                    _("%(name)s is still being written: it is read once complete.")
                    % {"name": entry.name}
                )
            if entry.size > MAX_FILE_BYTES:
                raise SourceError(
                    _("%(name)s is too large to be a day's file.") % {"name": entry.name}
                )
            content = folder.read(entry.name)
            return self._fetched(measure, day, entry.name, content)

        return self._with_folder(work)

    def _fetched(self, measure, day: dt.date, name: str, content: bytes) -> Fetched:
        refused: list[tuple[int, str]] = []
        try:
            rows = read_rows(content, measure.columns, refused=refused)
        except FileRefused as exc:
            raise SourceError(
                _("%(name)s cannot be read: %(problems)s")
                % {"name": name, "problems": " ".join(exc.problems[:5])}
            ) from None
        return Fetched(
            timezone.now(),
            items=[(1, row.number, _item(measure, row)) for row in rows],
            pages=1,
            refused=[(1, number, {"file": name}, problem) for number, problem in refused],
            content_hash=hashlib.sha256(content).hexdigest(),
        )

    def quality_rules(self) -> Fetched:
        raise NotOffered(_("A folder holds no quality rules: import them as a file."))

    def institutions(self) -> Fetched:
        raise NotOffered(_("A folder holds no connection statuses."))
