"""The kinds of daily measure a platform is pulled for, as the pull and the review
queue see them: the measure (apps.measures: columns, checks, key, roll-up), the
sync log's kind and where rows wait for review. A fourth kind is one more
`Pulled` here beside its `Measure`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from apps.indicators.services import INDICATORS
from apps.measures.kinds import Measure
from apps.quality.services import QUALITY
from apps.uploads.services import UPLOADS

from .models import SyncRun, UnknownIndicatorValue, UnknownQualityValue, UnknownUpload


@dataclass(frozen=True)
class Pulled:
    """`measure` as pulled: its runs' `sync_kind`, the `waiting` model that keeps
    rows of unknown institutions or codes (fields: the measure's code and values),
    and `clash(waiting row, institution name)`: why a waiting row cannot join the
    figures already stored for its key. `recheck_waiting`: after each pull, store
    what waited for a code added since to a catalogue other platforms share."""

    measure: Measure
    sync_kind: str
    waiting: type
    clash: Callable[[object, str], str]
    recheck_waiting: bool = False


PULLED = (
    Pulled(
        UPLOADS,
        SyncRun.Kind.UPLOADS,
        UnknownUpload,
        lambda w, name: (
            _("%(name)s already has figures for table %(table)s on %(day)s.")
            % {"name": name, "table": w.table_code, "day": w.day.isoformat()}
        ),
    ),
    Pulled(
        INDICATORS,
        SyncRun.Kind.INDICATORS,
        UnknownIndicatorValue,
        lambda w, _name: (
            _("Code %(code)s already has a value of %(indicator)s on %(day)s.")
            % {"code": w.org_code, "indicator": w.indicator, "day": w.day.isoformat()}
        ),
        recheck_waiting=True,
    ),
    Pulled(
        QUALITY,
        SyncRun.Kind.QUALITY,
        UnknownQualityValue,
        lambda w, _name: (
            _("Code %(code)s already has a result of rule %(rule)s on %(day)s.")
            % {"code": w.org_code, "rule": w.rule, "day": w.day.isoformat()}
        ),
    ),
)
BY_SYNC_KIND = {kind.sync_kind: kind for kind in PULLED}
BY_NAME = {kind.measure.name: kind for kind in PULLED}
