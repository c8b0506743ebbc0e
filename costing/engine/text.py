"""The one rule for text people type or import as a name or an id: no invisible characters and none that
change the direction of the text around them. Free text (a note, a reason, a 例外说明, a document's title) follows
the same rule but may break lines.

A right-to-left override (U+202E) makes 「SG-001‮txt.exe」 read differently from what is stored, and a
zero-width space (U+200B) makes two ids that look the same differ; both would go on into pages, PDFs,
workbooks and download file names. Such text is refused where it comes in, saying which character
(「含有不可见或改变文字方向的字符（U+202E）」); text already stored is cleaned where it becomes a file name.
"""
from __future__ import annotations

import unicodedata

# Unicode categories none of a name's characters may have: controls (C0 and C1), format characters (the
# direction marks, embeddings, overrides and isolates U+200E–U+200F, U+202A–U+202E, U+2066–U+2069, U+061C;
# the zero-width space, joiners and U+FEFF; U+2060–U+2064; soft hyphen; tag characters …), surrogates,
# and the line and paragraph separators U+2028 and U+2029.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# letters and marks of other categories that show nothing (Hangul fillers, the combining grapheme joiner,
# Khmer inherent vowels, the Mongolian vowel separator in older Unicode)
_BLANK = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180e\u3164\uffa0")

INVISIBLE_MESSAGE = "含有不可见或改变文字方向的字符（{}），请删除后重新输入"


def is_invisible(char: str) -> bool:
    """Whether a character is one a name may not contain (invisible, or changing the text's direction)."""
    return char in _BLANK or unicodedata.category(char) in _REFUSED_CATEGORIES


def invisible_characters(text: str) -> list[str]:
    """The refused characters in ``text``, each once, as U+XXXX, in the order they first appear."""
    seen: list[str] = []
    for char in text:
        if is_invisible(char):
            code = f"U+{ord(char):04X}"
            if code not in seen:
                seen.append(code)
    return seen


def invisible_problem(text: str) -> str | None:
    """The message for a name or id holding refused characters (None if it holds none), e.g.
    「含有不可见或改变文字方向的字符（U+202E），请删除后重新输入」."""
    found = invisible_characters(text)
    return INVISIBLE_MESSAGE.format("、".join(found[:5]) + ("等" if len(found) > 5 else "")) if found else None


LINE_BREAKS = frozenset("\n\r\t")


def free_text_problem(text: str) -> str | None:
    """The message for free text (a note, a reason) holding refused characters, None if it holds none: as for a
    name, but line breaks and tabs are allowed (a U+202E in a 例外说明 would print the app's own attribution
    after it backwards on an approved annex)."""
    return invisible_problem("".join(char for char in text if char not in LINE_BREAKS))


def without_invisible(text: str) -> str:
    """``text`` with the refused characters removed: for text stored before the rule that becomes a file name."""
    return "".join(char for char in text if not is_invisible(char))


def pattern_class() -> str:
    """The refused characters up to U+FFFF as the body of a regular-expression class (``\\u0000-\\u001f…``): how
    the API's OpenAPI document states the rule for a name or an id (a class cannot hold the rule's few refused
    characters beyond U+FFFF, such as the tag characters; the document says so in words). Surrogates are left out:
    they are no characters of well-formed text (a lone one in JSON is refused as the JSON is read) and a
    regular-expression engine working on Unicode scalars cannot name them."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        if is_invisible(chr(code)) and not 0xD800 <= code <= 0xDFFF:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)
