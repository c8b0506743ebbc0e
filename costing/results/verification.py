"""The verification code printed on an annex: derived from a revision's stored figures and its identity."""
from __future__ import annotations

import base64
import hashlib
import json


def verification_code(result: dict, identity: str = "") -> str:
    """A short code derived from the stored figures and the revision's identity (budget and number),
    so two revisions with equal figures still get different codes: ABCD-EFGH-IJKL."""
    canonical = identity + json.dumps(result, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = base64.b32encode(hashlib.sha256(canonical.encode("utf-8")).digest()).decode()
    return "-".join((digest[0:4], digest[4:8], digest[8:12]))
