from dataclasses import dataclass, field


@dataclass
class ImportResult:
    """What an import did. A refused file raises FileRefused instead."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"新增 {self.created} 条，更新 {self.updated} 条，未变 {self.unchanged} 条"
