"""The thresholds of ../shared/metrics.md (统计口径). A commission may change them;
a published bulletin keeps the `Definitions` it used (`as_dict`)."""

from dataclasses import asdict, dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Definitions:
    tier1_min: Decimal = Decimal("60")  # 第一梯队: completeness ≥ this
    tier2_min: Decimal = Decimal("40")  # 第二梯队: completeness ≥ this
    severe_below: Decimal = Decimal("10")  # 严重缺失 within 第三梯队: completeness < this
    good_continuity_max_days: int = 7  # 连续性良好: interruption days ≤ this

    def as_dict(self) -> dict:
        return {k: str(v) for k, v in asdict(self).items()}


DEFAULT = Definitions()
