# SPDX-License-Identifier: MIT
# report.py: the shape every workload reports in (a table of rows plus checks
# against the targets) and its Markdown rendering, so the terminal
# output pastes straight into docs/benchmarks.md. Medians over rounds are
# taken here; the PASS/FAIL logic lives in Check.
import statistics
from dataclasses import dataclass, field


@dataclass
class Check:
    """One target: `value op limit` where value is computed by the workload."""
    label: str
    value: float | None  # None: could not be measured (pending or failed).
    op: str              # ">=", "<=", or "info" (context only, no target)
    limit: float
    why_none: str = ""   # Why value is None.

    @property
    def verdict(self):
        if self.value is None:
            return "PENDING"
        if self.op == "info":
            return "info"
        ok = self.value >= self.limit if self.op == ">=" else self.value <= self.limit
        return "PASS" if ok else "FAIL"


@dataclass
class Result:
    """What one workload hands back: a titled table, checks and notes."""
    name: str
    title: str
    columns: list
    rows: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=0):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def render(res):
    """Markdown for one workload result."""
    out = [f"### {res.name}: {res.title}", ""]
    out.append("| " + " | ".join(res.columns) + " |")
    out.append("|" + "---|" * len(res.columns))
    for row in res.rows:
        out.append("| " + " | ".join(str(c) for c in row) + " |")
    if res.checks:
        out += ["", "| target | measured | required | result |", "|---|---|---|---|"]
        for c in res.checks:
            shown = fmt(c.value, 2) if c.value is not None else c.why_none or "-"
            need = "-" if c.op == "info" else f"{c.op} {c.limit:g}"
            out.append(f"| {c.label} | {shown} | {need} | {c.verdict} |")
    for n in res.notes:
        out += ["", n]
    return "\n".join(out) + "\n"
