"""Geometry for the server-made SVG of the cost composition (drawing only; the amounts come from
the engine's stored result)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

SLICES = (("pay", "工资、津贴与奖金", "#1d5f8a"), ("social_insurance", "单位社会保险", "#4f8fba"),
          ("housing_fund", "住房公积金", "#8fbcd9"), ("direct", "直接费用", "#c9a227"),
          ("management_fee", "管理费", "#7a9a5b"), ("tax", "税费", "#a5a5a5"))
SI_ITEMS = ("pension", "medical", "serious_illness", "unemployment", "work_injury")


def composition(totals: dict) -> list[dict]:
    """Slices of the grand total with their share and x/width on a 0–1000 scale."""
    contributions = totals["employer_contributions"]
    amounts = {
        "pay": Decimal(totals["pay"]),
        "social_insurance": sum((Decimal(contributions[i]) for i in SI_ITEMS), Decimal(0)),
        "housing_fund": Decimal(contributions["housing_fund"]),
        "direct": Decimal(totals["direct"]),
        "management_fee": Decimal(totals["management_fee"]),
        "tax": Decimal(totals["tax"]),
    }
    grand = Decimal(totals["grand_total"])
    slices, x = [], Decimal(0)
    for key, label, colour in SLICES:
        share = amounts[key] / grand if grand else Decimal(0)
        width = (share * 1000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        slices.append({"key": key, "label": label, "colour": colour, "amount": amounts[key],
                       "share": share.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP), "x": x,
                       "width": width})
        x += width
    return slices
