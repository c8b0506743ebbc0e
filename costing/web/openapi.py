"""The OpenAPI 3.1 document of the JSON API: kept as data (openapi.yaml, beside this module), served as JSON."""
from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

PATH = Path(__file__).with_name("openapi.yaml")


@cache
def document() -> dict:
    """The document as a dict (read once; callers must not change it)."""
    with PATH.open(encoding="utf-8") as file:
        return yaml.safe_load(file)
