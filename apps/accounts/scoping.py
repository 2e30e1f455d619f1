"""Who sees what: one scoping function per model. Every queryset a user reaches
(pages, exports, API, PDFs) starts from one of these; anything outside answers 404.
"""

from django.db.models import Q, QuerySet

from apps.alerts.models import Notification, Watch
from apps.audit.models import AuditEvent
from apps.campaigns.models import Campaign, CampaignTask, Inspection
from apps.imports.models import ImportJob
from apps.ingestion.models import (
    Backfill,
    OrgCodeAlias,
    SyncRun,
    UnknownIndicatorValue,
    UnknownQualityValue,
    UnknownUpload,
)
from apps.institutions.models import Institution
from apps.maturity.models import Assessment
from apps.onboarding.models import StepCompletion
from apps.platforms.models import Connection, ConnectionChange, Platform
from apps.rectification.models import RectificationTask
from apps.regions.models import Region
from apps.reports.models import ReportLayout
from apps.uploads.models import DailyUpload

from .models import OFFICER_ROLES, User


def _sees_everything(user) -> bool:
    return user.is_authenticated and user.is_superuser and not user.role


def regions_for(user: User) -> QuerySet[Region]:
    """The regions a user may browse: their own region and everything under it."""
    if _sees_everything(user):
        return Region.objects.all()
    if user.is_authenticated and user.role in OFFICER_ROLES and user.region:
        return Region.objects.filter(path__startswith=user.region.path)
    return Region.objects.none()


def institutions_for(user: User) -> QuerySet[Institution]:
    if _sees_everything(user):
        return Institution.objects.all()
    if not user.is_authenticated:
        return Institution.objects.none()
    if user.role in OFFICER_ROLES and user.region:
        return Institution.objects.filter(region__path__startswith=user.region.path)
    if user.role == User.Role.HOSPITAL and user.institution_id:
        return Institution.objects.filter(pk=user.institution_id)
    return Institution.objects.none()


def scope_path(user: User) -> str | None:
    """The region path of a user's scope: their region's, or their institution's
    region's for hospital staff; None for a user without one."""
    if not user.is_authenticated:
        return None
    if user.role in OFFICER_ROLES and user.region_id:
        return user.region.path
    if user.role == User.Role.HOSPITAL and user.institution_id:
        return user.institution.region.path
    return None


def platforms_for(user: User, *, manage: bool = False) -> QuerySet[Platform]:
    """The platforms a user may see: those that cover some of their scope. A
    platform covers its region (Platform.region, at any depth); a platform run for
    no region in particular covers everyone's. So an officer sees the platforms of
    their region, of the regions above it and of those below it; hospital staff the
    platforms covering their institution. Superusers see every platform.

    With `manage`, the platforms a user may change (phases and targets, settings
    and tests, pulls, imports, review decisions): those run for the user's region or
    a region below it, by a province or city officer — a city officer never changes
    a province platform, a province officer may manage the city platforms below it.
    Platforms run for no region are the superusers' to manage."""
    if not user.is_authenticated:
        return Platform.objects.none()
    if _sees_everything(user):
        return Platform.objects.all()
    if manage:
        if not user.is_commission:
            return Platform.objects.none()
        return Platform.objects.filter(region__path__startswith=user.region.path)
    path = scope_path(user)
    if path is None:
        return Platform.objects.none()
    above = [code for code in path.split("/") if code]
    covering = Q(region__isnull=True) | Q(region__code__in=above)
    if user.role in OFFICER_ROLES:
        covering |= Q(region__path__startswith=path)
    return Platform.objects.filter(covering)


def manages_platform(user: User, platform: Platform) -> bool:
    """Whether the user may change the platform (`platforms_for(user, manage=True)`)."""
    return platforms_for(user, manage=True).filter(pk=platform.pk).exists()


def ordered_platforms(user: User, platforms=None) -> list[Platform]:
    """The user's platforms, the default first: the platform of the user's own level
    — the one covering their scope most closely (a province officer: the province's;
    a city, county or hospital user: the city's, where there is one) — then the
    others covering it from closer to wider, then those below it, then those run for
    no region; ties by code. `platforms` narrows the set (already scoped)."""
    chosen = platforms if platforms is not None else platforms_for(user)
    if isinstance(chosen, QuerySet):
        chosen = chosen.select_related("region")
    path = scope_path(user) or ""

    def rank(platform: Platform):
        region = platform.region
        if region is None:
            return (3, 0, platform.level != Platform.Level.CITY, platform.code)
        if path.startswith(region.path):  # covers the whole scope: closest first
            return (0, -region.depth, False, platform.code)
        if region.path.startswith(path) and path:  # below the scope
            return (1, region.depth, False, region.sort_key + platform.code)
        # Only a superuser (no scope) meets others: city platforms first.
        return (2, 0, platform.level != Platform.Level.CITY, platform.code)

    return sorted(chosen, key=rank)


def connections_for(user: User) -> QuerySet[Connection]:
    return Connection.objects.filter(institution__in=institutions_for(user))


def connection_changes_for(user: User) -> QuerySet[ConnectionChange]:
    return ConnectionChange.objects.filter(connection__institution__in=institutions_for(user))


def uploads_for(user: User) -> QuerySet[DailyUpload]:
    return DailyUpload.objects.filter(institution__in=institutions_for(user))


def watches_ingestion(user: User) -> bool:
    """The nightly pulls, their log and the review queue are the province and city
    officers' (and superusers') business; county and hospital users see the figures
    only."""
    return user.is_authenticated and (_sees_everything(user) or user.is_commission)


def ingestion_platforms_for(user: User) -> QuerySet[Platform]:
    """The platforms whose pulls, log and review queue a user watches: those they
    manage (`platforms_for(user, manage=True)`)."""
    return platforms_for(user, manage=True)


def sync_runs_for(user: User) -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(platform__in=ingestion_platforms_for(user))


def backfills_for(user: User) -> QuerySet[Backfill]:
    return Backfill.objects.filter(platform__in=ingestion_platforms_for(user))


def unknown_uploads_for(user: User) -> QuerySet[UnknownUpload]:
    """Rows of codes the registry does not know belong to no region yet: they are
    the business of the officers who watch that platform's pulls."""
    return UnknownUpload.objects.filter(platform__in=ingestion_platforms_for(user))


def unknown_indicator_values_for(user: User) -> QuerySet[UnknownIndicatorValue]:
    """Indicator values waiting for review (unknown institution or indicator): the
    business of the officers who watch that platform's pulls, like unknown rows."""
    return UnknownIndicatorValue.objects.filter(platform__in=ingestion_platforms_for(user))


def unknown_quality_values_for(user: User) -> QuerySet[UnknownQualityValue]:
    """Quality results waiting for review (unknown institution or rule), for the
    officers who watch that platform's pulls."""
    return UnknownQualityValue.objects.filter(platform__in=ingestion_platforms_for(user))


def assessments_for(user: User) -> QuerySet[Assessment]:
    """Maturity results of the units the user sees."""
    return Assessment.objects.filter(institution__in=institutions_for(user))


def org_code_aliases_for(user: User) -> QuerySet[OrgCodeAlias]:
    return OrgCodeAlias.objects.filter(institution__in=institutions_for(user))


def rectification_tasks_for(user: User) -> QuerySet[RectificationTask]:
    """Tasks on the institutions the user sees (a hospital user: their own)."""
    return RectificationTask.objects.filter(institution__in=institutions_for(user))


def campaigns_for(user: User) -> QuerySet[Campaign]:
    """Campaigns on a platform the user sees with a unit the user sees (a hospital
    user: those it is in)."""
    return Campaign.objects.filter(
        pk__in=Campaign.units.through.objects.filter(institution__in=institutions_for(user)).values(
            "campaign_id"
        ),
        platform__in=platforms_for(user),
    )


def inspections_for(user: User) -> QuerySet[Inspection]:
    """Inspections of the campaigns the user sees, visiting a unit the user sees or
    a commission of a region the user browses (or neither)."""
    return Inspection.objects.filter(campaign__in=campaigns_for(user)).filter(
        Q(institution__in=institutions_for(user))
        | Q(region__in=regions_for(user))
        | Q(institution__isnull=True, region__isnull=True)
    )


def campaign_tasks_for(user: User) -> QuerySet[CampaignTask]:
    return CampaignTask.objects.filter(task__in=rectification_tasks_for(user))


def onboarding_completions_for(user: User) -> QuerySet[StepCompletion]:
    return StepCompletion.objects.filter(institution__in=institutions_for(user))


def notifications_for(user: User) -> QuerySet[Notification]:
    """A user's own bell: nobody reads another user's notifications."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user)


def watches_for(user: User) -> QuerySet[Watch]:
    return Watch.objects.filter(institution__in=institutions_for(user))


def sees_audit_log(user: User) -> bool:
    """The audit log is for superusers and province and city officers; anyone else
    gets 404."""
    return _sees_everything(user) or (user.is_authenticated and user.is_commission)


def audit_events_for(user: User) -> QuerySet[AuditEvent]:
    """Superusers see every event. A city officer sees the events whose region lies
    in their region (at any depth): each event carries the region it concerns, i.e.
    the institution's for connection changes, the bulletin's, the affected user's
    scope for sign-ins and user changes. Events with no region (registry and
    catalogue imports, superusers' sign-ins, unknown user names) are superusers'
    only. County and hospital users see none."""
    if not sees_audit_log(user):
        return AuditEvent.objects.none()
    if _sees_everything(user):
        return AuditEvent.objects.all()
    return AuditEvent.objects.filter(region__path__startswith=user.region.path)


def may_import(user: User, kind: str | None = None) -> bool:
    """City officers import the files of their region (every kind but regions, which
    are the superusers'); superusers import everything; nobody else imports."""
    if _sees_everything(user):
        return True
    return watches_ingestion(user) and kind != ImportJob.Kind.REGIONS


def import_jobs_for(user: User) -> QuerySet[ImportJob]:
    """Superusers see every import; a city officer those made within their region."""
    if _sees_everything(user):
        return ImportJob.objects.all()
    if may_import(user):
        return ImportJob.objects.filter(region__path__startswith=user.region.path)
    return ImportJob.objects.none()


def manages_users(user: User) -> bool:
    """City officers manage the users below them; superusers everyone."""
    return _sees_everything(user) or watches_ingestion(user)


def users_for(user: User) -> QuerySet[User]:
    """The accounts an officer manages: officers of the regions strictly below their
    own and hospital staff of the institutions in it — never their own level or
    above, never beside. Superusers: every account."""
    if _sees_everything(user):
        return User.objects.all()
    if not manages_users(user):
        return User.objects.none()
    below = Q(
        role__in=OFFICER_ROLES,
        region__path__startswith=user.region.path,
    ) & ~Q(region=user.region)
    staff = Q(role=User.Role.HOSPITAL, institution__region__path__startswith=user.region.path)
    return User.objects.filter(below | staff)


def report_layouts_for(user: User) -> QuerySet[ReportLayout]:
    """The layouts shipped with the portal, and those saved for the user's region or
    a region above it (a county uses its city's); nothing for hospital users."""
    if _sees_everything(user):
        return ReportLayout.objects.all()
    if not user.is_authenticated or user.role not in OFFICER_ROLES:
        return ReportLayout.objects.none()
    if not user.region:
        return ReportLayout.objects.filter(region__isnull=True)
    parts = user.region.path.split("/")[:-1]
    above = ["/".join(parts[: n + 1]) + "/" for n in range(len(parts))]
    return ReportLayout.objects.filter(Q(region__isnull=True) | Q(region__path__in=above))


def saves_report_layouts(user: User) -> bool:
    """Officers save layouts for their own region (superusers: for everyone)."""
    return _sees_everything(user) or (user.is_authenticated and user.is_officer)
