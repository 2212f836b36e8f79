"""The guard's report: one finding per rule, table and column, and counts, never a value."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    """The outcome of one rule on one table (and column, where the rule is per column)."""

    table: str
    rule: str
    column: str | None
    passed: bool
    failing: int = 0
    excepted: str | None = None

    @property
    def message(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        if self.excepted:
            return f"{where}: rule '{self.rule}' not applied ({self.excepted})"
        status = "passed" if self.passed else f"FAILED ({self.failing} offending)"
        return f"{where}: rule '{self.rule}' {status}"


@dataclass
class GuardReport:
    target: str
    tables: list[str]
    findings: list[Finding] = field(default_factory=list)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.passed and not f.excepted]

    @property
    def passed(self) -> bool:
        return not self.failures

    def for_table(self, table: str) -> list[Finding]:
        return [f for f in self.findings if f.table == table]

    def summary(self) -> str:
        if self.passed:
            return f"Privacy guard on {self.target}: {len(self.tables)} tables, {len(self.findings)} checks passed."
        lines = [f"Privacy guard on {self.target}: {len(self.failures)} failed check(s):"]
        lines += [f"  - {f.message}" for f in self.failures]
        return "\n".join(lines)
