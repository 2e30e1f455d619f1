"""The thresholds and weights of ../shared/metrics.md (统计口径). A commission may
change them per bulletin; a published bulletin keeps the `Definitions` it used
(`as_dict`), and `from_dict` reads them back."""

from dataclasses import asdict, dataclass, fields
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Definitions:
    tier1_min: Decimal = Decimal("60")  # 第一梯队: completeness ≥ this
    tier2_min: Decimal = Decimal("40")  # 第二梯队: completeness ≥ this
    severe_below: Decimal = Decimal("10")  # 严重缺失 within 第三梯队: completeness < this
    good_continuity_max_days: int = 7  # 连续性良好: interruption days ≤ this
    score_points: Decimal = Decimal("40")  # 互联互通度: points of the assessment
    weight_connection: Decimal = Decimal("0.3")  # C
    weight_completeness: Decimal = Decimal("0.4")  # K
    weight_volume: Decimal = Decimal("0.3")  # V
    # 数据质量: the weight of each dimension in the quality score (equal by default;
    # renormalised over the dimensions with a rate, so they need not add up to 1).
    quality_weight_completeness: Decimal = Decimal("1")
    quality_weight_conformance: Decimal = Decimal("1")
    quality_weight_consistency: Decimal = Decimal("1")
    quality_weight_linkage: Decimal = Decimal("1")
    quality_weight_timeliness: Decimal = Decimal("1")
    # 按数据质量排名: 1 ranks the units of a bulletin by quality score as well, in
    # three bands: 良好 at least `quality_good_min`, 较差 below `quality_poor_below`.
    quality_ranking: int = 0
    quality_good_min: Decimal = Decimal("95")
    quality_poor_below: Decimal = Decimal("90")

    def as_dict(self) -> dict:
        return {k: str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict | None) -> "Definitions":
        """Definitions from stored values; missing keys take the defaults.
        Raises ValueError on a value that is not a number or out of range."""
        data = data or {}
        values = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            try:
                value = f.type(str(data[f.name])) if f.type is int else Decimal(str(data[f.name]))
            except (InvalidOperation, ValueError) as exc:
                raise ValueError(
                    _("%(name)s is not a number: %(value)s")
                    % {"name": f.name, "value": data[f.name]}
                ) from exc
            if value < 0:
                raise ValueError(
                    _("%(name)s may not be negative: %(value)s") % {"name": f.name, "value": value}
                )
            values[f.name] = value
        definitions = cls(**values)
        if not definitions.severe_below <= definitions.tier2_min <= definitions.tier1_min <= 100:
            raise ValueError(
                _("The thresholds must satisfy severely missing ≤ second tier ≤ first tier ≤ 100.")
            )
        weights = (
            definitions.weight_connection
            + definitions.weight_completeness
            + definitions.weight_volume
        )
        if weights != 1:
            raise ValueError(_("The three weights must add up to 1."))
        if definitions.quality_ranking not in (0, 1):
            raise ValueError(_("quality_ranking is 0 (off) or 1 (on)."))
        if not definitions.quality_poor_below <= definitions.quality_good_min <= 100:
            raise ValueError(_("The quality thresholds must satisfy poor ≤ good ≤ 100."))
        return definitions

    def quality_weight(self, dimension: str) -> Decimal:
        return getattr(self, f"quality_weight_{dimension}")


DEFAULT = Definitions()
