"""The web layer: it calls the engine and never computes money itself."""
import re

_SMALL_INT = re.compile(r"^[0-9]{1,9}$")


def small_int(text: str | None) -> int | None:
    """A form or session value as a non-negative integer of at most nine digits, else None
    ("²".isdigit() is true, but it is not a number we accept)."""
    return int(text) if text and _SMALL_INT.match(text) else None
