"""The files an officer can import from the browser, each through the importer
the command line uses (the same function, nothing duplicated)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from apps.core.results import ImportResult
from apps.indicators.services import (
    INDICATOR_COLUMNS,
    REFERENCE_COLUMNS,
    indicators_import,
    references_import,
)
from apps.ingestion.review import waiting_quality_store
from apps.institutions.services import INSTITUTION_COLUMNS, institutions_import
from apps.onboarding.services import (
    STEP_COLUMNS,
    TARGET_COLUMNS,
    phase_steps_import,
    phase_targets_import,
)
from apps.platforms.services import (
    CONNECTION_COLUMNS,
    DECLARATION_COLUMNS,
    TABLE_COLUMNS,
    connections_import,
    declarations_import,
    tables_import,
)
from apps.quality.services import (
    QUALITY_COLUMNS,
    RULE_COLUMNS,
    quality_import,
    quality_rules_import,
)
from apps.regions.services import REGION_COLUMNS, regions_import
from apps.uploads.services import UPLOAD_COLUMNS, uploads_import

from .models import ImportJob

Kind = ImportJob.Kind


@dataclass(frozen=True)
class ImportKind:
    key: str
    description: str
    columns: Mapping[str, Sequence[str]]
    example: Sequence[str]
    command: str
    # (job, source, progress) → the importer's result; raises FileRefused.
    run: Callable[..., ImportResult]
    needs_platform: bool = False
    # A catalogue edition to name (its valid-from and categories too for "tables").
    edition: bool = False
    # A build-out phase of the platform to name.
    phase: bool = False
    superusers_only: bool = False

    @property
    def label(self) -> str:
        return Kind(self.key).label


def _regions(job, source, progress):
    return regions_import(source=source)


def _institutions(job, source, progress):
    return institutions_import(source=source, within=job.region)


def _tables(job, source, progress):
    return tables_import(
        source=source,
        platform=job.platform,
        edition=job.options["edition"],
        valid_from=dt.date.fromisoformat(job.options["valid_from"]),
        categories=job.options.get("categories", []),
    )


def _connections(job, source, progress):
    return connections_import(
        source=source, platform=job.platform, within=job.region, entered_by=job.created_by
    )


def _uploads(job, source, progress):
    return uploads_import(
        source=source, platform=job.platform, within=job.region, progress=progress
    )


def _indicators(job, source, progress):
    return indicators_import(source=source, platform=job.platform, within=job.region)


def _references(job, source, progress):
    return references_import(
        source=source, platform=job.platform, within=job.region, user=job.confirmed_by
    )


def _declarations(job, source, progress):
    return declarations_import(
        source=source, platform=job.platform, edition=job.options["edition"], within=job.region
    )


def quality_rules_then_waiting(*, source, platform) -> ImportResult:
    """Import a platform's rules, then store the pulled results that waited for a
    rule the file now lists (the command and the web import alike)."""
    result = quality_rules_import(source=source, platform=platform)
    stored = waiting_quality_store(platform=platform)
    if stored:
        result.notes.append(
            _("%(n)d waiting quality results of these rules were stored.") % {"n": stored}
        )
    return result


def _quality_rules(job, source, progress):
    return quality_rules_then_waiting(source=source, platform=job.platform)


def _quality(job, source, progress):
    return quality_import(source=source, platform=job.platform, within=job.region)


def _phase_targets(job, source, progress):
    return phase_targets_import(
        source=source, platform=job.platform, phase=job.options["phase"], within=job.region
    )


def _phase_steps(job, source, progress):
    return phase_steps_import(
        source=source, platform=job.platform, phase=job.options["phase"], within=job.region
    )


KINDS: dict[str, ImportKind] = {
    k.key: k
    for k in (
        ImportKind(
            Kind.REGIONS,
            _("The region tree (GB/T 2260 codes): province, cities, counties and districts."),
            REGION_COLUMNS,
            ["411500", "信阳市", "市", "410000"],
            "import_regions",
            _regions,
            superusers_only=True,
        ),
        ImportKind(
            Kind.INSTITUTIONS,
            _("The institution registry: code, name, supervising region, category and grade."),
            INSTITUTION_COLUMNS,
            ["41150000001", "信阳市中心医院", "411500", "综合医院", "三级甲等"],
            "import_institutions",
            _institutions,
        ),
        ImportKind(
            Kind.TABLES,
            _(
                "One edition of a platform's catalogue of required tables, with the day it "
                "comes into force and the institution categories it applies to."
            ),
            TABLE_COLUMNS,
            ["TB_HIS_MZ_Reg", "挂号表", "门急诊业务"],
            "import_tables",
            _tables,
            needs_platform=True,
            edition=True,
        ),
        ImportKind(
            Kind.CONNECTIONS,
            _(
                "Connection statuses in bulk: each row a status (connected, integrating, "
                "not connected, connected to the provincial platform) in force from a day."
            ),
            CONNECTION_COLUMNS,
            ["41150000001", "已联通", "2023-01-01"],
            "import_connections",
            _connections,
            needs_platform=True,
        ),
        ImportKind(
            Kind.UPLOADS,
            _(
                "A platform's daily upload statistics: per day, institution and table, the "
                "records uploaded and rejected."
            ),
            UPLOAD_COLUMNS,
            ["2023-06-30", "41150000001", "TB_HIS_MZ_Reg", "1520", "3"],
            "import_uploads",
            _uploads,
            needs_platform=True,
        ),
        ImportKind(
            Kind.INDICATORS,
            _(
                "Daily values of the business indicators (outpatient visits, discharges, "
                "health records …) per institution, as the platform counted them."
            ),
            INDICATOR_COLUMNS,
            ["2023-06-30", "41150000001", "outpatient_visits", "3210"],
            "import_indicators",
            _indicators,
            needs_platform=True,
        ),
        ImportKind(
            Kind.REFERENCES,
            _(
                "References per institution, indicator and month (2023-05) or year (2023): "
                "what it reported to the health statistics system, or the resident base."
            ),
            REFERENCE_COLUMNS,
            ["2023-05", "41150000001", "outpatient_visits", "95210", "卫生统计直报"],
            "import_references",
            _references,
            needs_platform=True,
        ),
        ImportKind(
            Kind.DECLARATIONS,
            _("The tables each institution declares it can upload, for one catalogue edition."),
            DECLARATION_COLUMNS,
            ["41150000001", "TB_HIS_MZ_Reg"],
            "import_declarations",
            _declarations,
            needs_platform=True,
            edition=True,
        ),
        ImportKind(
            Kind.QUALITY_RULES,
            _(
                "A platform's data-quality rules, each in one dimension (completeness, "
                "conformance, consistency, linkage, timeliness), for platforms without "
                "the quality interface."
            ),
            RULE_COLUMNS,
            ["OPV_ID_NOT_NULL", "门诊就诊记录身份证号不为空", "完整性", "TB_HIS_MZ_Reg", ""],
            "import_quality_rules",
            _quality_rules,
            needs_platform=True,
        ),
        ImportKind(
            Kind.QUALITY,
            _(
                "Daily data-quality results: per day, institution and rule, the records "
                "checked and the records that failed."
            ),
            QUALITY_COLUMNS,
            ["2023-06-30", "41150000001", "OPV_ID_NOT_NULL", "5120", "12"],
            "import_quality",
            _quality,
            needs_platform=True,
        ),
        ImportKind(
            Kind.PHASE_TARGETS,
            _(
                "The target institutions of a build-out phase (the first, the second …), each with its "
                "go-live date where it differs from the phase's deadline. The file is the "
                "phase's whole list: targets it omits leave the phase."
            ),
            TARGET_COLUMNS,
            ["41150000001", "2024-06-30"],
            "import_phase_targets",
            _phase_targets,
            needs_platform=True,
            phase=True,
        ),
        ImportKind(
            Kind.PHASE_STEPS,
            _(
                "The days institutions completed the steps of a build-out phase: each row an "
                "institution, a step as the phase names it and the day (empty clears it). "
                "Steps record the way to the connection; a target is done once connected."
            ),
            STEP_COLUMNS,
            ["41150000001", "网络联调", "2023-03-15"],
            "import_phase_steps",
            _phase_steps,
            needs_platform=True,
            phase=True,
        ),
    )
}


# What each column of the import files holds, for the 填写说明 sheet of a template:
# the accepted values where there is a list of them.
OPTIONAL_COLUMNS = frozenset({"go_live", "done_on", "source", "table_code", "description"})


def _choices(values) -> str:
    return "、".join(str(v) for v in values)


def column_note(kind: ImportKind, name: str) -> str:
    """How to fill the column `name` of `kind`'s files."""
    from apps.institutions.models import Institution
    from apps.platforms.models import ConnectionStatus
    from apps.quality.models import Dimension

    if name == "org_code":
        return str(_("The institution code as the registry holds it."))
    if name in ("date", "since", "done_on", "go_live"):
        return str(_("A day written 2023-06-30 (or 2023/6/30, 20230630), from 2000 to 2099."))
    if name == "category" and kind.key == Kind.INSTITUTIONS:
        return _("One of %(choices)s.") % {"choices": _choices(Institution.Category.values)}
    if name == "grade":
        return _("One of %(choices)s.") % {"choices": _choices(Institution.Grade.values)}
    if name == "status":
        return _("One of %(choices)s.") % {
            "choices": _choices(str(label) for label in ConnectionStatus.labels)
        }
    if name == "dimension":
        return _("One of %(choices)s.") % {
            "choices": _choices(str(label) for label in Dimension.labels)
        }
    if name == "level":
        return _("One of %(choices)s.") % {"choices": "省、市、县"}
    if name in ("records", "rejected", "value", "checked", "failed"):
        return str(_("A whole number, 0 or more."))
    if name == "period":
        return str(_("A month (2023-05) or a year (2023)."))
    if name == "indicator":
        return str(_("An indicator code of the catalogue, e.g. outpatient_visits."))
    if name == "step":
        return str(_("A step of the phase, as the onboarding page names it."))
    if name in ("region_code", "parent_code"):
        return str(_("A region code (GB/T 2260) of the registry."))
    return ""


def instructions(kind: ImportKind) -> list[list[str]]:
    """The 填写说明 rows of a template: each column, whether it must be filled, how."""
    rows = []
    for name, aliases in kind.columns.items():
        header = aliases[0] if aliases else name
        required = name not in OPTIONAL_COLUMNS and not (
            name == "category" and kind.key == Kind.TABLES
        )
        rows.append([header, str(_("Yes") if required else _("No")), column_note(kind, name)])
    return rows
