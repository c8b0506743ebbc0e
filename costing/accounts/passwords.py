"""Password rules, stated once (the forms, the command line and the README say what ``RULES`` says), temporary
passwords, and the hash every sign-in checks even when the name matches no account."""
from __future__ import annotations

import re
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from ..models import password_method

MIN_LENGTH = 10
MAX_LENGTH = 128
RULES = f"{MIN_LENGTH}–{MAX_LENGTH} 个字符，至少含一个字母和一个数字，不能包含用户名"
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
# a temporary password: no 0/O, 1/l/I to misread when it is read out over the telephone
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"

_dummy_hashes: dict[str, str] = {}


def problem(password: str, username: str = "") -> str | None:
    """What is wrong with a new password (in Chinese), or None."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"密码须为 {MIN_LENGTH}–{MAX_LENGTH} 个字符"
    if not (_LETTER.search(password) and _DIGIT.search(password)):
        return "密码须至少含一个字母和一个数字"
    if username and username.casefold() in password.casefold():
        return "密码不能包含用户名"
    return None


def temporary() -> str:
    """A password an administrator passes on by word of mouth: 12 characters in three groups, letters and digits."""
    while True:
        text = "".join(secrets.choice(_ALPHABET) for _ in range(12))
        if problem(text) is None:
            return "-".join(text[i:i + 4] for i in range(0, 12, 4))


def dummy_hash() -> str:
    """A hash made the way real ones are (same method, same cost), of a password nobody knows: checked when a
    sign-in names no account, so that answer takes as long as a wrong password for a real one."""
    method = password_method()
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash(secrets.token_urlsafe(24), method=method)
    return _dummy_hashes[method]


def verify(stored: str | None, password: str) -> bool:
    """One hash check, always: against the account's hash, or the dummy one when there is no account."""
    matches = check_password_hash(stored or dummy_hash(), password)
    return matches and stored is not None


def outdated(stored: str) -> bool:
    """A hash made with another method or cost than today's (re-made at the next sign-in)."""
    return stored.split("$", 1)[0] != dummy_hash().split("$", 1)[0]
