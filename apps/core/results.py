from dataclasses import dataclass, field

from django.utils.translation import gettext as _


@dataclass
class ImportResult:
    """What an import did. A refused file raises FileRefused instead."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }
