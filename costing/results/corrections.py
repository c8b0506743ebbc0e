"""A policy figure a revision was priced with and that a confirmed correction later replaced, as people read it:
the budget page, the list of budgets priced with corrected figures, and the annexes issued after the correction all
say it with these words. Plain values only (an annex's job stores them with what it prints)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import labels
from .format import figure, signed_money


@dataclass(frozen=True)
class LaterCorrection:
    family: str
    label: str                      # the figure's name (职业津贴（按区县与证书，每人每月）)
    unit: str
    region: str                     # its region code (渝北区:assistant_social_worker)
    wrong_start: str | None         # the figure the revision was priced with: from when, and its value
    wrong_value: str
    corrected_start: str | None     # the correcting figure
    corrected_value: str
    confirmed_on: str               # the day a second administrator confirmed the correction (Beijing)
    reason: str                     # why it was corrected, as the administrator wrote it
    # what the correction changes in the revision's grand total, both priced today (None: it could not be priced)
    delta: str | None = None
    # the written decision to keep the revision's figures (理由（姓名，日期）), if one was made
    kept: str | None = None
    pending: bool = False           # not priced yet (a background job prices what a confirmation listed)

    @property
    def region_label(self) -> str:
        return labels.region(self.region)

    @property
    def wrong(self) -> str:
        """渝北区 助理社会工作师 2025-07-01 起 30,000.00 元."""
        return f"{self.region_label} {self.wrong_start or '日期不详'} 起 {figure(self.wrong_value, self.unit)}"

    @property
    def corrected(self) -> str:
        """300.00 元, with its start where the correction moved it (300.00 元（2025-01-01 起）)."""
        shown = figure(self.corrected_value, self.unit)
        return shown if self.corrected_start == self.wrong_start else f"{shown}（{self.corrected_start or '日期不详'} 起）"

    @property
    def change(self) -> Decimal | None:
        return None if self.delta is None else Decimal(self.delta)

    @property
    def change_text(self) -> str:
        """按更正后的数值测算，预算总额将变化 −426,507.24 元 (or 不变, or cannot be priced)."""
        if self.pending:
            return "按更正后的数值的差额正在测算"
        if self.change is None:
            return "按更正后的数值无法重新测算本预算（见预算页）"
        if self.change == 0:
            return "按更正后的数值测算，预算总额不变"
        return f"按更正后的数值测算，预算总额将变化 {signed_money(self.change)} 元（只计此项更正）"

    @property
    def sentence(self) -> str:
        """What an annex issued after the correction prints (the page says the same, with links)."""
        kept = f"经说明按原数值执行：{self.kept}。" if self.kept else ""
        return (f"本表测算所用的「{self.label}」{self.wrong}，已于 {self.confirmed_on} 经主管部门复核更正为"
                f" {self.corrected}（更正原因：{self.reason or '未写明'}）。{self.change_text}。{kept}")

    def notice(self, status: str) -> str:
        """The sentence with what follows from it for a revision in that state (an annex prints this)."""
        if status == "approved":
            return self.sentence + "调整合同金额，须按更正后的数值另行编制修订并出具补充附件。"
        if self.kept:
            return self.sentence
        return self.sentence + "本修订须按最新参数重新测算，或写明按原数值继续的理由，才能提交与审核。"

    def matches(self, basis) -> bool:
        """Whether a row of a revision's basis (results.budget.Basis) is this figure."""
        return (basis.name == self.family and basis.region == self.region and basis.start == self.wrong_start
                and not basis.is_input and Decimal(basis.value) == Decimal(self.wrong_value))

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, stored: dict) -> LaterCorrection:
        return cls(**{name: stored.get(name) for name in cls.__dataclass_fields__})


def corrected_row(basis, corrections) -> LaterCorrection | None:
    """The correction of a basis row, if any (the first; a figure corrected twice names the newest first)."""
    return next((c for c in corrections or () if c.matches(basis)), None)
