"""Money: Decimal from strings, one rounding rule, and amounts in capital numerals (大写)."""
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
SHARE_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")


def round_cents(amount: Decimal) -> Decimal:
    """Round to the 分 with ROUND_HALF_UP: the only rounding applied to money."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def round_share(ratio: Decimal) -> Decimal:
    return ratio.quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


def ceil_int(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def fmt_amount(amount: Decimal) -> str:
    """Canonical JSON form of an amount: two decimals, no separators ("6000.00")."""
    return str(round_cents(amount))


def fmt_rate(rate: Decimal) -> str:
    """A rate as given, without exponent or trailing zeros beyond what it needs ("0.085")."""
    return format(rate.normalize(), "f")


def fmt_percent(rate: Decimal) -> str:
    """0.085 → '8.5%'."""
    return format((rate * 100).normalize(), "f") + "%"


def fmt_grouped(amount: Decimal) -> str:
    """Display form with thousands separators: 1,234,567.89."""
    return f"{round_cents(amount):,.2f}"


def fmt_figure(value, unit: str) -> str:
    """A policy figure as people read it, by its unit: 4,600.00 元, 16%, ×0.5, 3,000 (counts)."""
    value = Decimal(value)
    if unit.startswith("CNY"):
        return f"{fmt_grouped(value)} 元"
    if unit == "rate":
        return fmt_percent(value)
    if unit == "factor":
        return f"×{fmt_rate(value)}"
    return fmt_rate(value) if value != value.to_integral_value() else f"{value:,.0f}"


def canonical_figure(value: Decimal, unit: str) -> str:
    """A policy figure in the JSON contract: amounts to the 分 ("2330.00"), anything else as given ("0.16")."""
    return fmt_amount(value) if unit.startswith("CNY") else fmt_rate(value)


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_IN_GROUP = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿", "万亿")


def _group_words(number: int) -> str:
    """Words for 1..9999 without leading zero handling; inner zero runs give one 零."""
    digits = [int(d) for d in f"{number:04d}"]
    out, pending_zero, started = [], False, False
    for position, digit in enumerate(digits):
        unit = _IN_GROUP[3 - position]
        if digit == 0:
            pending_zero = started
            continue
        if pending_zero:
            out.append("零")
        out.append(_DIGITS[digit] + unit)
        pending_zero, started = False, True
    return "".join(out)


def amount_in_words(amount: Decimal) -> str:
    """人民币大写金额 following the People's Bank cheque rules.

    1,200,000.00 → 人民币壹佰贰拾万元整; 1,005.30 → 人民币壹仟零伍元叁角整; 0.05 → 人民币伍分.
    """
    cents = int(round_cents(amount) * 100)
    if cents < 0:
        raise ValueError("amount_in_words takes a non-negative amount")
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if yuan >= 10 ** 16:
        raise ValueError("amount too large for capital numerals")
    words = []
    if yuan:
        groups = []
        rest = yuan
        while rest:
            groups.append(rest % 10000)
            rest //= 10000
        pending_zero = False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                pending_zero = True
                continue
            if words and (pending_zero or group < 1000):
                words.append("零")
            words.append(_group_words(group) + _GROUPS[index])
            pending_zero = False
        words.append("元")
    if jiao:
        words.append(_DIGITS[jiao] + "角")
    elif yuan and fen:
        words.append("零")
    if fen:
        words.append(_DIGITS[fen] + "分")
    else:
        if not yuan and not jiao:
            words.append("零元")
        words.append("整")
    return "人民币" + "".join(words)


def allocate(total: Decimal, weights: list) -> list[Decimal]:
    """``total`` (to the 分) split in proportion to ``weights``, each part to the 分, the parts adding up to the total
    exactly: part k = round(total × W_k ÷ W) − round(total × W_(k−1) ÷ W), W_k the weights summed up to k (cumulative
    rounding: no part is more than half a 分 from its share). All weights 0: the last part takes the whole."""
    whole = sum(weights, Decimal("0"))
    if not whole:
        return [ZERO] * (len(weights) - 1) + [total] if weights else []
    parts, running, before = [], Decimal("0"), Decimal("0")
    for weight in weights:
        running += weight
        upto = total if running == whole else round_cents(total * running / whole)
        parts.append(upto - before)
        before = upto
    return parts
