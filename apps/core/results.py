from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# How many rows of each kind a result keeps to show (its counts are always whole):
# enough for an officer to check a preview, not a province's day in memory twice.
SAMPLE_ROWS = 500


@dataclass
class RowChange:
    """One row of a file as an import treats it: its spreadsheet row number, what
    it is (an org code, a date and table…) and, for a change, each field's old and
    new value."""

    row: int | None
    key: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"row": self.row, "key": self.key, "changes": [list(c) for c in self.changes]}


@dataclass
class ImportResult:
    """What an import did (or, in a preview, would do). A refused file raises
    FileRefused instead."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    notes: list[str] = field(default_factory=list)
    added_rows: list[RowChange] = field(default_factory=list)
    changed_rows: list[RowChange] = field(default_factory=list)
    deleted_rows: list[RowChange] = field(default_factory=list)

    def add(self, row: int | None, key: str) -> None:
        self.created += 1
        if len(self.added_rows) < SAMPLE_ROWS:
            self.added_rows.append(RowChange(row, key))

    def change(self, row: int | None, key: str, changes: list[tuple[str, object, object]]) -> None:
        self.updated += 1
        if len(self.changed_rows) < SAMPLE_ROWS:
            self.changed_rows.append(
                RowChange(row, key, [(str(f), _text(old), _text(new)) for f, old, new in changes])
            )

    def same(self) -> None:
        self.unchanged += 1

    def remove(self, key: str) -> None:
        self.deleted += 1
        if len(self.deleted_rows) < SAMPLE_ROWS:
            self.deleted_rows.append(RowChange(None, key))

    def summary(self) -> str:
        return _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }

    def as_dict(self) -> dict:
        """JSON for an import job's preview and result."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "notes": [str(n) for n in self.notes],
            "added_rows": [r.as_dict() for r in self.added_rows],
            "changed_rows": [r.as_dict() for r in self.changed_rows],
            "deleted_rows": [r.as_dict() for r in self.deleted_rows],
        }


def _text(value: object) -> str:
    if value is None or value == "":
        return "—"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
