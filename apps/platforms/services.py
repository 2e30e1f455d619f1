import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.audit.models import AuditEvent
from apps.audit.services import audit_import, audit_record
from apps.core import secrets
from apps.core.results import ImportResult
from apps.core.tabular import FileRefused, date_problem, parse_date, read_rows
from apps.institutions.models import Institution
from apps.institutions.services import institution_ids_of_rows
from apps.regions.models import Region

from .models import (
    CatalogueTable,
    Connection,
    ConnectionChange,
    ConnectionStatus,
    Platform,
    TableDeclaration,
    TableEdition,
    status_on,
)

TABLE_COLUMNS = {"code": ["表代码"], "name": ["表名称"], "category": ["类别"]}
CONNECTION_COLUMNS = {"org_code": ["机构代码"], "status": ["联通状态"], "since": ["生效日期"]}
TABLE_CODE_RE = re.compile(r"^[A-Za-z0-9_\-.]{1,64}$")


class CommandRefused(Exception):
    """A request that cannot be carried out; the message says why, in the user's language."""


def is_valid_table_code(code: str) -> bool:
    return bool(TABLE_CODE_RE.match(code))


@transaction.atomic
def platform_add(
    *, code: str, name: str, level: str = Platform.Level.CITY, region: Region | None = None
) -> Platform:
    if level not in Platform.Level.values:
        raise CommandRefused(_("Unknown platform level “%(level)s”.") % {"level": level})
    platform, created = Platform.objects.get_or_create(
        code=code, defaults={"name": name, "level": level, "region": region}
    )
    if not created and (platform.name, platform.level, platform.region) != (name, level, region):
        platform.name, platform.level, platform.region = name, level, region
        platform.save()
    return platform


@transaction.atomic
def tables_import(
    *,
    source: str | Path | bytes,
    platform: Platform,
    edition: str,
    valid_from: dt.date,
    categories: Sequence[str] = (),
) -> ImportResult:
    """Load one catalogue edition of required tables. Re-loading an edition of the
    same name replaces its tables by the file's."""
    unknown = [c for c in categories if c not in Institution.Category.values]
    if unknown:
        raise FileRefused(
            [_("Unknown institution categories: %(values)s.") % {"values": "、".join(unknown)}]
        )
    rows = read_rows(
        source,
        TABLE_COLUMNS,
        optional=("category",),
        max_lengths={
            "name": CatalogueTable._meta.get_field("name").max_length,
            "category": CatalogueTable._meta.get_field("category").max_length,
        },
    )
    problems: list[str] = []
    parsed: dict[str, dict] = {}
    for row in rows:
        v = row.values
        where = _("Row %(row)d: ") % {"row": row.number}
        if not is_valid_table_code(v["code"]):
            problems.append(where + _("Table code “%(code)s” is malformed.") % {"code": v["code"]})
        elif v["code"] in parsed:
            problems.append(
                where + _("Table code %(code)s is repeated in the file.") % {"code": v["code"]}
            )
        if not v["name"]:
            problems.append(where + _("The table name is empty."))
        parsed.setdefault(v["code"], {**v, "row": row.number})
    if not rows:
        problems.append(_("The file lists no tables."))
    if problems:
        raise FileRefused(problems)

    result = ImportResult()
    edition_obj, created = TableEdition.objects.get_or_create(
        platform=platform,
        name=edition,
        defaults={"valid_from": valid_from, "categories": sorted(categories)},
    )
    scope = "、".join(sorted(categories)) or _("all institutions")
    if created:
        result.notes.append(
            _("New catalogue edition %(edition)s, in force from %(day)s for %(scope)s.")
            % {"edition": edition, "day": valid_from.isoformat(), "scope": scope}
        )
    elif (edition_obj.valid_from, edition_obj.categories) != (valid_from, sorted(categories)):
        result.notes.append(
            _(
                "Catalogue edition %(edition)s: in force from %(old_day)s for %(old_scope)s → from %(day)s for %(scope)s."
            )
            % {
                "edition": edition,
                "old_day": edition_obj.valid_from.isoformat(),
                "old_scope": "、".join(edition_obj.categories) or _("all institutions"),
                "day": valid_from.isoformat(),
                "scope": scope,
            }
        )
        edition_obj.valid_from, edition_obj.categories = valid_from, sorted(categories)
        edition_obj.save()
    existing = {t.code: t for t in edition_obj.tables.all()}
    for code, v in parsed.items():
        table = existing.pop(code, None)
        category = v.get("category", "")
        key = f"{code} {v['name']}"
        if table is None:
            CatalogueTable.objects.create(
                edition=edition_obj, code=code, name=v["name"], category=category
            )
            result.add(v["row"], key)
        elif (table.name, table.category) != (v["name"], category):
            changes = [
                (TABLE_COLUMNS[f][0], old, new)
                for f, old, new in (
                    ("name", table.name, v["name"]),
                    ("category", table.category, category),
                )
                if old != new
            ]
            table.name, table.category = v["name"], category
            table.save()
            result.change(v["row"], key, changes)
        else:
            result.same()
    if existing:
        CatalogueTable.objects.filter(pk__in=[t.pk for t in existing.values()]).delete()
        result.notes.append(
            ngettext(
                "Removed %(n)d table from the catalogue: %(codes)s",
                "Removed %(n)d tables from the catalogue: %(codes)s",
                len(existing),
            )
            % {"n": len(existing), "codes": "、".join(sorted(existing))}
        )
        for code in sorted(existing):
            result.remove(f"{code} {existing[code].name}")
    audit_import(
        what="tables", source=source, result=result, obj=edition_obj, action="catalogue_changed"
    )
    return result


@transaction.atomic
def connection_set_status(
    *,
    institution: Institution,
    platform: Platform,
    status: str,
    since: dt.date | None = None,
    entered_by=None,
    source: str = "",
    front_server_last_seen: dt.datetime | None = None,
) -> ConnectionChange | None:
    """Record that `institution`'s connection to `platform` has `status` from
    `since` (default today). Returns the change, or None if the status in force on
    that day is already `status`."""
    if status not in ConnectionStatus.values:
        raise CommandRefused(_("Unknown connection status “%(status)s”.") % {"status": status})
    today = timezone.localdate()
    since = since or today
    connection, _created = Connection.objects.select_for_update().get_or_create(
        institution=institution, platform=platform
    )
    if front_server_last_seen and front_server_last_seen != connection.front_server_last_seen:
        connection.front_server_last_seen = front_server_last_seen
        connection.save(update_fields=["front_server_last_seen"])
    changes = list(connection.changes.order_by("effective_date", "id"))
    previous = status_on(changes, since)
    if previous == status:
        return None
    change = ConnectionChange.objects.create(
        connection=connection,
        effective_date=since,
        from_status=previous,
        to_status=status,
        entered_by=entered_by,
        source=source,
    )
    audit_record(
        action=AuditEvent.Action.CONNECTION_STATUS_CHANGED,
        actor=entered_by,
        obj=institution,
        region=institution.region,
        details={
            "platform": platform.code,
            "status": {"old": previous, "new": status},
            "since": since,
            "source": source,
        },
    )
    history = sorted([*changes, change], key=lambda c: (c.effective_date, c.id))
    current = status_on(history, today)
    if connection.status != current:
        connection.status = current
        connection.save(update_fields=["status"])
    return change


@transaction.atomic
def connections_set_status(
    *,
    org_codes: Sequence[str],
    platform: Platform,
    status: str,
    since: dt.date | None = None,
    entered_by=None,
    source: str = "",
) -> list[ConnectionChange]:
    """Set the status of many institutions at once; unknown codes refuse them all
    (a code with a control character is unknown: no registry holds one, and
    PostgreSQL could not even be asked about a NUL)."""
    printable = [code for code in org_codes if code.isprintable()]
    institutions = {i.org_code: i for i in Institution.objects.filter(org_code__in=printable)}
    unknown = [code for code in org_codes if code not in institutions]
    if unknown:
        raise CommandRefused(
            _("Unknown institution codes: %(codes)s") % {"codes": "、".join(unknown)}
        )
    changes = []
    for code in dict.fromkeys(org_codes):
        change = connection_set_status(
            institution=institutions[code],
            platform=platform,
            status=status,
            since=since,
            entered_by=entered_by,
            source=source,
        )
        if change:
            changes.append(change)
    return changes


def _status_words() -> dict[str, str]:
    """What a file may write in the status column: the code or the Chinese label."""
    words = {code: code for code in ConnectionStatus.values}
    words.update({str(label): code for code, label in ConnectionStatus.choices})
    return words


@transaction.atomic
def connections_import(
    *,
    source: str | Path | bytes,
    platform: Platform,
    within: Region | None = None,
    entered_by=None,
) -> ImportResult:
    """Load connection statuses in bulk (org_code, status, since): each row is a
    status in force from a day, recorded as the status history records any change.
    A row that repeats the status in force that day changes nothing. Unknown
    codes, statuses or dates, future days, rows repeated in the file and, for an
    officer importing `within` a region, institutions outside it refuse the file."""
    rows = read_rows(source, CONNECTION_COLUMNS)
    words = _status_words()
    today = timezone.localdate()
    institutions = Institution.objects.filter(
        org_code__in=[r.values["org_code"] for r in rows]
    ).select_related("region")
    by_code = {i.org_code: i for i in institutions}
    problems: list[str] = []
    parsed = []
    seen: dict[tuple[str, dt.date], int] = {}
    for row in rows:
        v = row.values
        row_problems = []
        institution = by_code.get(v["org_code"])
        status = words.get(v["status"].strip())
        since = parse_date(v["since"])
        if institution is None:
            row_problems.append(
                _("Unknown institution code %(code)s: register it first.") % {"code": v["org_code"]}
            )
        elif within is not None and not institution.region.path.startswith(within.path):
            row_problems.append(
                _("Institution %(code)s lies outside %(region)s, the region you supervise.")
                % {"code": v["org_code"], "region": within.name}
            )
        if status is None:
            row_problems.append(
                _("Unrecognised connection status “%(value)s” (expected %(choices)s).")
                % {
                    "value": v["status"],
                    "choices": "、".join(str(label) for _code, label in ConnectionStatus.choices),
                }
            )
        if since is None:
            row_problems.append(date_problem(v["since"]))
        elif since > today:
            row_problems.append(
                _("The effective date %(day)s is in the future.") % {"day": since.isoformat()}
            )
        if not row_problems:
            key = (v["org_code"], since)
            if key in seen:
                row_problems.append(
                    _("Repeats row %(other)d (same institution and date).") % {"other": seen[key]}
                )
            seen[key] = row.number
        if row_problems:
            where = _("Row %(row)d: ") % {"row": row.number}
            problems.extend(where + p for p in row_problems)
        else:
            parsed.append((row.number, institution, status, since))
    if problems:
        raise FileRefused(problems)

    result = ImportResult()
    labels = dict(ConnectionStatus.choices)
    header = CONNECTION_COLUMNS["status"][0]
    # Oldest first, so that each change is recorded against the history before it.
    for number, institution, status, since in sorted(parsed, key=lambda p: (p[3], p[0])):
        change = connection_set_status(
            institution=institution,
            platform=platform,
            status=status,
            since=since,
            entered_by=entered_by,
            source="import",
        )
        key = f"{institution.org_code} {institution.name} {since.isoformat()}"
        if change is None:
            result.same()
        else:
            result.change(
                number, key, [(header, labels[change.from_status], labels[change.to_status])]
            )
    audit_import(what=f"connections {platform.code}", source=source, result=result)
    return result


DECLARATION_COLUMNS = {"org_code": ["机构代码"], "table_code": ["表代码"]}


@transaction.atomic
def declarations_import(
    *,
    source: str | Path | bytes,
    platform: Platform,
    edition: str,
    within: Region | None = None,
) -> ImportResult:
    """Load the tables each institution declares for one edition (org_code,
    table_code): an institution in the file declares exactly the file's tables
    (what it declared before and the file omits is withdrawn); institutions not in
    the file keep theirs. Unknown institutions, tables outside the edition and rows
    repeated refuse the file."""
    edition_obj = TableEdition.objects.filter(platform=platform, name=edition).first()
    if edition_obj is None:
        raise FileRefused(
            [
                _("The platform has no catalogue edition “%(edition)s”: import it first.")
                % {"edition": edition}
            ]
        )
    rows = read_rows(source, DECLARATION_COLUMNS)
    catalogue = set(edition_obj.tables.values_list("code", flat=True))
    problems: list[str] = []
    declared: dict[str, dict[str, int]] = {}
    for row in rows:
        v = row.values
        where = _("Row %(row)d: ") % {"row": row.number}
        code, table = v["org_code"], v["table_code"]
        if table not in catalogue:
            problems.append(
                where
                + _("Table %(code)s is not in the catalogue edition %(edition)s.")
                % {"code": table, "edition": edition}
            )
        elif table in declared.get(code, {}):
            problems.append(
                where
                + _("Repeats row %(other)d (same institution and table).")
                % {"other": declared[code][table]}
            )
        else:
            declared.setdefault(code, {})[table] = row.number
    if problems:
        raise FileRefused(problems)
    ids = institution_ids_of_rows({c: len(t) for c, t in declared.items()}, within=within)
    existing: dict[int, set[str]] = {}
    for inst, table in TableDeclaration.objects.filter(
        edition=edition_obj, institution_id__in=ids.values()
    ).values_list("institution_id", "table_code"):
        existing.setdefault(inst, set()).add(table)
    result = ImportResult()
    for code, tables in declared.items():
        inst = ids[code]
        before = existing.get(inst, set())
        for table, number in tables.items():
            if table in before:
                result.same()
            else:
                result.add(number, f"{code} {table}")
        withdrawn = sorted(before - tables.keys())
        for table in withdrawn:
            result.remove(f"{code} {table}")
        if withdrawn:
            TableDeclaration.objects.filter(
                edition=edition_obj, institution_id=inst, table_code__in=withdrawn
            ).delete()
        TableDeclaration.objects.bulk_create(
            [
                TableDeclaration(edition=edition_obj, institution_id=inst, table_code=table)
                for table in tables
                if table not in before
            ]
        )
    audit_import(
        what=f"declarations {platform.code}", source=source, result=result, obj=edition_obj
    )
    return result


@transaction.atomic
def secrets_rotate() -> tuple[int, int]:
    """Re-encrypt every stored secret (each EncryptedTextField of every model: the
    platforms' interface tokens, …) with the first key of HIPWATCH_SECRET_KEYS.
    Returns (re-encrypted, stored): a value already under the first key is left
    alone, so a second run re-encrypts none. A value no key decrypts refuses the
    whole run (CommandRefused, naming the row) and nothing is written. Audited, when
    anything was re-encrypted, with the counts and the fields, never a value."""
    rotated, stored, fields = 0, 0, set()
    for model, field in secrets.encrypted_fields():
        for pk, token in secrets.stored_tokens(model, field):
            stored += 1
            if secrets.is_current(token):
                continue
            try:
                secrets.store_token(model, field, pk, secrets.rotate(token))
            except secrets.UndecryptableSecret:
                raise CommandRefused(
                    _(
                        "%(field)s of row %(pk)s cannot be decrypted with any key of "
                        "HIPWATCH_SECRET_KEYS: nothing was re-encrypted."
                    )
                    % {"field": field, "pk": pk}
                ) from None
            rotated += 1
            fields.add(str(field))
    if rotated:
        audit_record(
            action=AuditEvent.Action.SECRETS_ROTATED,
            object_label=_("stored secrets"),
            details={"rotated": rotated, "stored": stored, "fields": sorted(fields)},
        )
    return rotated, stored
