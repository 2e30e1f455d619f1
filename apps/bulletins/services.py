import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.metrics.definitions import Definitions
from apps.platforms.models import Platform
from apps.regions.models import Region

from .checks import bulletin_check
from .content import bulletin_build
from .models import Bulletin
from .pdf import bulletin_pdf
from .selectors import can_manage_bulletins

logger = logging.getLogger(__name__)


class BulletinRefused(Exception):
    """The bulletin cannot be created, changed or published; `problems` says why."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


EDITABLE = (
    "number",
    "title",
    "issuing_body",
    "recipients",
    "issue_date",
    "opening",
    "requirements",
    "contacts",
    "definitions",
    "report_layout",
)


def default_title(period_label: str, platform: Platform) -> str:
    return _("Bulletin on the interconnection with %(platform)s in %(period)s") % {
        "platform": platform.name,
        "period": period_label,
    }


def _validate(bulletin: Bulletin) -> None:
    if bulletin.period_start > bulletin.period_end:
        raise BulletinRefused([_("The period ends before it starts.")])
    try:
        Definitions.from_dict(bulletin.definitions)
    except ValueError as exc:
        raise BulletinRefused([_("Invalid definitions: %(error)s") % {"error": exc}]) from exc
    clash = Bulletin.objects.filter(number=bulletin.number).exclude(pk=bulletin.pk)
    if clash.exists():
        raise BulletinRefused(
            [_("The document number %(number)s is already used.") % {"number": bulletin.number}]
        )


@transaction.atomic
def bulletin_create(
    *,
    user,
    platform: Platform,
    region: Region,
    period_start: dt.date,
    period_end: dt.date,
    period_label: str,
    corrects: Bulletin | None = None,
    **fields,
) -> Bulletin:
    if not can_manage_bulletins(user, region):
        raise BulletinRefused(
            [
                _(
                    "Only officers of this region’s commission or one above it may create its bulletins."
                )
            ]
        )
    if corrects is not None and corrects.status != Bulletin.Status.PUBLISHED:
        raise BulletinRefused([_("Only a published bulletin can be corrected.")])
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    bulletin = Bulletin(
        platform=platform,
        region=region,
        period_start=period_start,
        period_end=period_end,
        period_label=period_label,
        corrects=corrects,
        created_by=user,
        **fields,
    )
    _validate(bulletin)
    _save(bulletin)
    audit_record(
        action=AuditEvent.Action.BULLETIN_CORRECTED
        if corrects is not None
        else AuditEvent.Action.BULLETIN_SAVED,
        actor=user,
        obj=bulletin,
        region=region,
        details={
            "corrects": corrects.number if corrects is not None else None,
            "number": bulletin.number,
            "platform": platform.code,
            "period": f"{period_start.isoformat()}~{period_end.isoformat()}",
            "created": True,
        },
    )
    return bulletin


def _save(bulletin: Bulletin) -> None:
    """Save; a number taken by a concurrent save since `_validate` is refused too."""
    try:
        with transaction.atomic():
            bulletin.save()
    except IntegrityError as exc:
        if not Bulletin.objects.filter(number=bulletin.number).exclude(pk=bulletin.pk).exists():
            raise
        raise BulletinRefused(
            [_("The document number %(number)s is already used.") % {"number": bulletin.number}]
        ) from exc


def _same_definitions(old: dict, new: dict) -> bool:
    """Whether two stored definitions give the same thresholds and weights (a key
    added to the definitions since `old` was stored takes its default)."""
    try:
        return Definitions.from_dict(old) == Definitions.from_dict(new)
    except ValueError:
        return False


@transaction.atomic
def bulletin_update(*, bulletin: Bulletin, user, **fields) -> Bulletin:
    if not can_manage_bulletins(user, bulletin.region):
        raise BulletinRefused(
            [_("Only officers of this region’s commission or one above it may edit its bulletins.")]
        )
    bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if not bulletin.is_draft:
        raise BulletinRefused([_("A published bulletin cannot be changed; publish a correction.")])
    changed = []
    for name, value in fields.items():
        if name not in EDITABLE:
            raise TypeError(f"unknown field: {name}")
        if name == "definitions" and _same_definitions(bulletin.definitions, value):
            continue  # the same figures: keep the stored text (a form saved unchanged)
        if getattr(bulletin, name) != value:
            changed.append(name)
        setattr(bulletin, name, value)
    _validate(bulletin)
    if not changed:
        return bulletin
    _save(bulletin)
    audit_record(
        action=AuditEvent.Action.BULLETIN_SAVED,
        actor=user,
        obj=bulletin,
        region=bulletin.region,
        details={"number": bulletin.number, "changed": changed},
    )
    return bulletin


@transaction.atomic
def bulletin_publish(*, bulletin: Bulletin, user) -> Bulletin:
    """Run the checks and freeze the bulletin. The row is claimed with a
    conditional update, so two officers publishing at once publish it once."""
    if not can_manage_bulletins(user, bulletin.region):
        raise BulletinRefused(
            [
                _(
                    "Only officers of this region’s commission or one above it may publish its bulletins."
                )
            ]
        )
    bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if not bulletin.is_draft:
        raise BulletinRefused([_("The bulletin is already published.")])
    content = bulletin_build(bulletin)
    failures = bulletin_check(content)
    if failures:
        raise BulletinRefused(failures)
    now = timezone.now()
    claimed = Bulletin.objects.filter(pk=bulletin.pk, status=Bulletin.Status.DRAFT).update(
        status=Bulletin.Status.PUBLISHED,
        snapshot=content,
        pdf=None,
        pdf_progress=0,
        pdf_error="",
        published_by=user,
        published_at=now,
        updated_at=now,
    )
    if claimed != 1:
        raise BulletinRefused([_("The bulletin is already published.")])
    bulletin.refresh_from_db()
    # The PDF is typeset by a worker once the publication is committed (in the web
    # process itself without Redis); until then it is 排版中 and rendered on request.
    transaction.on_commit(lambda: bulletin_typeset_send(bulletin_id=bulletin.pk))
    audit_record(
        action=AuditEvent.Action.BULLETIN_PUBLISHED,
        actor=user,
        obj=bulletin,
        region=bulletin.region,
        details={"number": bulletin.number, "corrects": getattr(bulletin.corrects, "number", None)},
    )
    return bulletin


def bulletin_typeset_send(*, bulletin_id: int) -> None:
    """Hand the typesetting to a worker; with the broker unreachable, typeset here
    (a publication must not wait on Redis, nor lose its PDF)."""
    from apps.core.broker import task_send

    from .tasks import typeset_bulletin

    if not task_send(typeset_bulletin, bulletin_id):
        bulletin_typeset(bulletin_id=bulletin_id)


def bulletin_typeset(*, bulletin_id: int) -> bool:
    """Typeset a published bulletin's PDF from its snapshot and store it, telling
    its progress on the way. Once stored it is kept (a second delivery does
    nothing). A failure is recorded on the bulletin (the PDF is then rendered on
    request). Returns whether a PDF was stored."""
    rows = Bulletin.objects.filter(
        pk=bulletin_id, status=Bulletin.Status.PUBLISHED, pdf__isnull=True
    )
    bulletin = rows.only("pk", "snapshot").first()
    if bulletin is None:
        return False

    def progress(percent: int) -> None:
        rows.update(pdf_progress=percent)

    progress(5)
    try:
        pdf = bulletin_pdf(bulletin.snapshot, progress)
    except Exception as exc:  # the reason goes on the page; the snapshot stays good
        logger.exception("typesetting bulletin %s failed", bulletin_id)
        rows.update(pdf_error=f"{type(exc).__name__}: {exc}"[:500])
        return False
    return bool(rows.update(pdf=pdf, pdf_progress=100, pdf_error=""))


@transaction.atomic
def bulletin_delete(*, bulletin: Bulletin, user) -> None:
    if not can_manage_bulletins(user, bulletin.region):
        raise BulletinRefused(
            [
                _(
                    "Only officers of this region’s commission or one above it may delete its bulletins."
                )
            ]
        )
    if not bulletin.is_draft:
        raise BulletinRefused([_("A published bulletin cannot be deleted.")])
    audit_record(
        action=AuditEvent.Action.BULLETIN_DELETED,
        actor=user,
        obj=bulletin,
        region=bulletin.region,
        details={"number": bulletin.number, "title": bulletin.title},
    )
    bulletin.delete()
