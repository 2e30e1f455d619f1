"""统计口径说明: what each figure means, written from the definitions the figures
are computed with (thresholds, weights), so the help cannot drift from them. Each
figure has an anchor that column headers link to."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .definitions import DEFAULT, Definitions


@dataclass(frozen=True)
class FigureHelp:
    anchor: str
    name: str
    definition: str


def figure_help(definitions: Definitions = DEFAULT, silent_after_days: int = 3) -> list[FigureHelp]:
    d = definitions
    p = {
        "tier1": d.tier1_min,
        "tier2": d.tier2_min,
        "severe": d.severe_below,
        "days": d.good_continuity_max_days,
        "points": d.score_points,
        "wc": d.weight_connection,
        "wk": d.weight_completeness,
        "wv": d.weight_volume,
        "silent": silent_after_days,
    }
    entries = [
        (
            "connection_status",
            _("Connection status"),
            _(
                "The status in force on the last day of the period: connected, integrating, not "
                "connected, or connected to the provincial platform instead (whose data this "
                "platform does not hold)."
            ),
        ),
        (
            "required_tables",
            _("Required tables"),
            _(
                "The tables of the catalogue edition in force for the institution on the last day "
                "of the period; an edition for the institution's category outranks one for all."
            ),
        ),
        (
            "tables_uploaded",
            _("Tables uploaded"),
            _(
                "Catalogue tables with records on at least one day of the period; tables outside "
                "the catalogue do not count here."
            ),
        ),
        (
            "completeness",
            _("Completeness (%)"),
            _("Tables uploaded ÷ required tables × 100, one decimal, rounded half up."),
        ),
        ("missing_tables", _("Tables missing"), _("Required tables − tables uploaded.")),
        (
            "records",
            _("Upload volume"),
            _("The records accepted over the period, in every table, in the catalogue or not."),
        ),
        ("rejected", _("Records rejected"), _("The records the platform refused, likewise.")),
        ("upload_days", _("Upload days"), _("Days of the period with records in any table.")),
        (
            "interruption_days",
            _("Interruption days"),
            _(
                "Days of the period without records, counted from the later of its first day and "
                "the day of connection, up to yesterday; empty for an institution not connected."
            ),
        ),
        (
            "longest_gap",
            _("Longest interruption (days)"),
            _("The longest run of consecutive such days."),
        ),
        (
            "last_upload_date",
            _("Last upload date"),
            _("The latest day up to the end of the period, in it or before, with records."),
        ),
        (
            "tier",
            _("Tier"),
            _(
                "For connected institutions: tier 1 from %(tier1)s%% completeness, tier 2 from "
                "%(tier2)s%% to below %(tier1)s%%, tier 3 above 0 and below %(tier2)s%% (below "
                "%(severe)s%% marked severely missing), tier 4 when no catalogue table was uploaded."
            )
            % p,
        ),
        (
            "continuity",
            _("Continuity"),
            _(
                "Good with at most %(days)s interruption days in the period, interrupted above; "
                "empty for institutions not connected or without uploads in the period."
            )
            % p,
        ),
        (
            "connection_rate",
            _("Connection rate"),
            _(
                "Institutions connected to this platform or to the provincial one, over all "
                "active institutions in view, as a whole percentage."
            ),
        ),
        (
            "score",
            _("Score"),
            _(
                "Interconnection score: %(points)s × (%(wc)s × C + %(wk)s × K + %(wv)s × V), two "
                "decimals. C is 1 for an institution connected (here or to the province), K is "
                "completeness ÷ 100, V the volume factor. Empty for institutions connected to "
                "the provincial platform."
            )
            % p,
        ),
        (
            "volume_factor",
            _("Volume factor"),
            _(
                "V: the records over the median records of the connected institutions of the same "
                "category under the same city that uploaded, at most 1 (0 without such a median)."
            ),
        ),
        (
            "silent",
            _("Silent institutions"),
            _(
                "A connected institution with no records on any of the last %(silent)s days is "
                "silent and its officers are alerted; it is back with the next day with records."
            )
            % p,
        ),
        (
            "indicators",
            _("Business indicators"),
            _(
                "What the platform counted of the institution's business each day (outpatient "
                "visits, discharges, health records, appointments, telemedicine, kiosks). A flow's "
                "value for a period is the sum of its days (0 where there is none); a stock's is "
                "its latest value on or before the end of the period, in it or before it."
            ),
        ),
        (
            "references",
            _("Reference"),
            _(
                "What the institution really served or holds, from another source "
                "(the statistics direct reports, the resident base), per month or year. A flow's reference for a "
                "period is the sum of its months' references, only when the period is whole "
                "months and each has one; exactly one year uses the yearly reference when its "
                "months are not all there. A stock's is the one in force on the end of the period "
                "(the latest to start on or before it; a month before its year)."
            ),
        ),
        (
            "rates",
            _("Upload rate (%)"),
            _(
                "Value ÷ reference × 100, two decimals, rounded half up; empty without a "
                "reference or with a zero one. A rate above 100 is shown as it is and flagged: "
                "the reference or the data is wrong."
            ),
        ),
        (
            "declared_tables",
            _("Declared tables"),
            _(
                "The tables of the edition an institution declared it can upload, "
                "beside the tables the platform requires of it; empty when it has "
                "declared nothing."
            ),
        ),
    ]
    return [FigureHelp(anchor, str(name), str(text)) for anchor, name, text in entries]


# The column headers that name a figure, and the help entry they link to.
HEADER_ANCHORS = {
    gettext_lazy("Connection status"): "connection_status",
    gettext_lazy("Required tables"): "required_tables",
    gettext_lazy("Tables uploaded"): "tables_uploaded",
    gettext_lazy("Completeness (%)"): "completeness",
    gettext_lazy("Tables missing"): "missing_tables",
    gettext_lazy("Upload volume"): "records",
    gettext_lazy("Records uploaded"): "records",
    gettext_lazy("Records rejected"): "rejected",
    gettext_lazy("Upload days"): "upload_days",
    gettext_lazy("Interruption days"): "interruption_days",
    gettext_lazy("Longest interruption (days)"): "longest_gap",
    gettext_lazy("Last upload date"): "last_upload_date",
    gettext_lazy("Tier"): "tier",
    gettext_lazy("Continuity"): "continuity",
    gettext_lazy("Score"): "score",
    gettext_lazy("Volume factor"): "volume_factor",
    gettext_lazy("Days without records"): "silent",
    gettext_lazy("Reference"): "references",
    gettext_lazy("Upload rate (%)"): "rates",
    gettext_lazy("Previous period (%)"): "rates",
    gettext_lazy("Declared tables"): "declared_tables",
}


def header_anchor(header: object) -> str | None:
    """The help anchor of a column header that names a figure, else None."""
    text = str(header)
    for label, anchor in HEADER_ANCHORS.items():
        if str(label) == text:
            return anchor
    return None
