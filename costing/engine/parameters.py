"""Dated policy parameters: one lookup, "value of X on date D for region R", each with its source.

The figures live in data/*.yaml (one value per effective date, each citing one primary document: issuer as
printed on it, 文号, title, date of issue, effective date; and who verified that citation against the
document, if anyone has). Where the text was seen (a mirror, a news page) is an administrators' note, never
part of what a budget cites. Asking before the first value of a family is an error; asking after the last
value's end date returns that value marked as carried forward, so callers can say so.
"""
from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources

import yaml

from .periods import validity

CONFIDENCE = {
    "verified_official": "已核实（官方网站原文）",
    "verified_mirror": "已核实（原文转载）",
    "secondary": "二手来源",
    "derived": "推算",
    "uncertain": "存疑",
    "not_found": "未找到",
}
# what a figure's basis says where the document that sets it is not known yet, and where nobody has checked
# its citation against the primary text
UNKNOWN_DOCUMENT = "文件待主管部门核实"
UNVERIFIED = "待主管部门核实"
KINDS = frozenset({"amount", "rate", "rate_factor", "count"})
UNITS = frozenset({"CNY/month", "CNY/hour", "rate", "factor", "persons", "workers"})
TIER_LABELS = {"tier1": "第一档", "tier2": "第二档"}


@dataclass(frozen=True)
class Source:
    """One primary document a figure rests on, as its header prints it. ``url`` is the document's own address on
    an official government site, if known; ``note`` is for administrators (where the text was seen: mirrors,
    news; what is uncertain). Neither is ever shown to purchasers or contractors. ``verified_by`` names the
    organisation or department that checked the citation against the primary text, on ``verified_on``."""
    key: str
    title: str | None = None            # None where the document itself is not known yet
    issuer: str | None = None
    doc_no: str | None = None
    date: str | None = None              # date of issue (成文日期), YYYY-MM-DD
    effective: str | None = None         # the date from which the document says it applies, YYYY-MM-DD
    url: str | None = None
    note: str | None = None
    verified_by: str | None = None
    verified_on: str | None = None

    @property
    def citation(self) -> str:
        """The short basis shown beside a figure: the document number, else the title, else that the document
        is still to be named."""
        if self.doc_no:
            return self.doc_no
        return f"《{self.title}》" if self.title else UNKNOWN_DOCUMENT

    @property
    def verified(self) -> bool:
        """Checked against the primary text by a named organisation on a date."""
        return bool(self.verified_by and self.verified_on)


@dataclass(frozen=True)
class Record:
    family: str
    label: str
    unit: str
    region: str
    start: date | None
    end: date | None
    value: Decimal
    source: Source
    confidence: str
    note: str | None = None
    origin: str = "shipped"      # shipped with the software, imported from data files, or admin (entered and
                                 # confirmed by two of the bureau's administrators in the app)

    @property
    def verified(self) -> bool:
        """The figure's document was checked against its primary text by a named organisation."""
        return self.source.verified

    @property
    def period_text(self) -> str:
        return validity(self.start, self.end)


@dataclass(frozen=True)
class Lookup:
    """A value found for a date: the record, and whether it is carried past its end date."""

    record: Record
    on: date
    carried_forward: bool

    @property
    def value(self) -> Decimal:
        return self.record.value


def takes_region(region: str, regions, by_district: bool) -> bool:
    """Whether a family keeps values for ``region``: one of its regions, or "<district>:<region>" for a
    family each district sets for itself (which is kept only that way)."""
    if not by_district:
        return region in regions
    district, _, rest = region.rpartition(":")
    return bool(district) and rest in regions


@dataclass
class Family:
    key: str
    label: str
    unit: str
    kind: str
    regions: tuple[str, ...]
    renewal: str | None
    renewal_months: int | None = None
    # a standard each district sets for itself: its values are kept by "<district>:<region>" (渝北区:social_worker)
    by_district: bool = False
    # the staff categories the standard applies to (empty: all)
    categories: tuple[str, ...] = ()
    records: dict[str, list[Record]] = field(default_factory=dict)
    _starts: dict[str, list[date]] = field(default_factory=dict)

    def takes(self, region: str) -> bool:
        return takes_region(region, self.regions, self.by_district)

    def index(self) -> None:
        for region, records in self.records.items():
            records.sort(key=lambda r: r.start or date.min)
            self._starts[region] = [r.start or date.min for r in records]

    def first_start(self, region: str) -> date | None:
        records = self.records.get(region) or []
        return records[0].start if records else None


class ParameterMissing(Exception):
    """No value of a family is known for the date asked (it is before the first value)."""

    def __init__(self, family: Family, region: str, on: date):
        self.family, self.region, self.on = family, region, on
        first = family.first_start(region)
        first_text = first.isoformat() if first else "无"
        super().__init__(
            f"{on.isoformat()} 早于「{family.label}」已收录的最早数值（{first_text} 起），无法计算"
        )


class UnknownDistrict(Exception):
    pass


@dataclass(frozen=True)
class DistrictEntry:
    name: str
    tier: str
    start: date
    source: Source
    confidence: str


@dataclass(frozen=True)
class InForce:
    """A family's value for one region on a date, or why there is none."""
    family: Family
    region: str
    lookup: Lookup | None
    missing: str | None = None


class ParameterSet:
    """One consistent set of parameters, identified by a version."""

    def __init__(self, families: dict[str, Family], history: dict[str, list[DistrictEntry]],
                 aliases: dict[str, str], settings: dict[str, Record], version: str):
        self.families = families
        self.history = {name: sorted(entries, key=lambda e: e.start) for name, entries in history.items()}
        self.districts = {name: entries[-1] for name, entries in self.history.items()}   # the latest entry
        self.aliases = aliases
        self.settings = settings
        self.version = version

    def family(self, key: str) -> Family:
        return self.families[key]

    def at(self, key: str, on: date, region: str) -> Lookup:
        family = self.families[key]
        records = family.records.get(region)
        if not records:
            raise KeyError(f"{key} has no values for region {region}")
        position = bisect_right(family._starts[region], on) - 1
        if position < 0:
            raise ParameterMissing(family, region, on)
        record = records[position]
        return Lookup(record, on, carried_forward=record.end is not None and on > record.end)

    def in_force(self, on: date, tier: str | None = None, district: str | None = None) -> list[InForce]:
        """Every family's value on a date, region by region; with ``tier``, only that minimum-wage tier's
        values (and those of no tier); with ``district``, of the standards districts set for themselves only
        that district's."""
        found = []
        for family in self.families.values():
            for region in family.records:
                if tier is not None and region in TIER_LABELS and region != tier:
                    continue
                if district is not None and family.by_district and not region.startswith(f"{district}:"):
                    continue
                try:
                    found.append(InForce(family, region, self.at(family.key, on, region)))
                except ParameterMissing as exc:
                    found.append(InForce(family, region, None, str(exc)))
        return found

    def district_value(self, key: str, on: date, district: str, region: str) -> Lookup | None:
        """A by-district family's value for one district on a date, or None where that district has no
        value (yet): it has not set one, or it is not entered."""
        family = self.families.get(key)
        if family is None or f"{district}:{region}" not in family.records:
            return None
        try:
            return self.at(key, on, f"{district}:{region}")
        except ParameterMissing:
            return None

    def setting(self, key: str) -> Record:
        return self.settings[key]

    def canonical_district(self, name: str) -> str | None:
        name = self.aliases.get(name, name)
        return name if name in self.districts else None

    def district(self, name: str, on: date | None = None) -> DistrictEntry:
        canonical = self.canonical_district(name)
        if canonical is None:
            raise UnknownDistrict(name)
        entries = self.history[canonical]
        if on is None:
            return entries[-1]
        position = bisect_right([e.start for e in entries], on) - 1
        if position < 0:
            raise UnknownDistrict(name)
        return entries[position]

    def with_figure(self, key: str, region: str, start: date | None, value: Decimal,
                    new_start: date | None = None) -> ParameterSet:
        """This set as it would be had the figure of ``key`` for ``region`` starting ``start`` been ``value`` (from
        ``new_start``, if given): what a revision priced with a figure later corrected is priced with, today. The
        other families are shared, not copied; the version says the set is not one the database holds."""
        family = self.families[key]
        records = list(family.records.get(region, ()))
        kept = [r for r in records if r.start != start]
        like = next((r for r in records if r.start == start), None) or (kept[0] if kept else None)
        if like is None:
            raise KeyError(f"{key} has no values for region {region}")
        put_back = replace(like, start=new_start if new_start is not None else start, value=value)
        changed = replace(family, records={**family.records, region: kept + [put_back]}, _starts={})
        changed.index()
        return ParameterSet({**self.families, key: changed}, self.history, self.aliases, self.settings,
                            version=f"{self.version}~{key}:{region}:{put_back.start}:{value}")

    def first_listed(self, name: str) -> date:
        """The date from which the district is listed in a tier at all."""
        return self.history[name][0].start

    def district_names(self) -> list[str]:
        return list(self.districts)


def _parse_date(text) -> date | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError(f"dates must be quoted ISO strings, got {text!r}")
    return date.fromisoformat(text)


SOURCE_FIELDS = ("title", "issuer", "doc_no", "date", "effective", "url", "note", "verified_by", "verified_on")
ORIGINS = ("shipped", "imported", "admin")


OFFICIAL_URL = re.compile(r"https?://[^/\s]+\.gov\.cn(/|$)", re.IGNORECASE)


def read_source(key: str, raw: dict) -> Source:
    fields = {f: raw.get(f) for f in SOURCE_FIELDS}
    if "via" in raw:          # a file written before the note replaced "via": it and a mirror's address are the note
        remarks = [raw["via"]] if raw["via"] else []
        if fields["url"] and not OFFICIAL_URL.match(fields["url"]):
            remarks.append(f"所见文本：{fields['url']}")
            fields["url"] = None
        fields["note"] = fields["note"] or "；".join(remarks) or None
    return Source(key=key, **fields)


def _record(family: Family, raw: dict, sources: dict[str, Source]) -> Record:
    value = raw["value"]
    if not isinstance(value, str):
        raise ValueError(f"{family.key}: values must be strings, got {value!r}")
    return Record(family=family.key, label=family.label, unit=family.unit, region=raw["region"],
                  start=_parse_date(raw.get("start")), end=_parse_date(raw.get("end")),
                  value=Decimal(value), source=sources[raw["source"]],
                  confidence=raw["confidence"], note=raw.get("note"), origin=_origin(raw))


def _origin(raw: dict) -> str:
    origin = raw.get("origin") or "shipped"
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, got {origin!r}")
    return origin


def parse_documents(documents: list[tuple[str, dict]]) -> ParameterSet:
    """Build a ParameterSet from the parsed YAML documents (name, content)."""
    families: dict[str, Family] = {}
    districts: dict[str, list[DistrictEntry]] = {}
    aliases: dict[str, str] = {}
    settings: dict[str, Record] = {}
    digest = hashlib.sha256()
    for name, doc in sorted(documents, key=lambda item: item[0]):
        digest.update(name.encode())
        digest.update(yaml.safe_dump(doc, allow_unicode=True, sort_keys=True).encode())
        sources = {key: read_source(key, raw) for key, raw in (doc.get("sources") or {}).items()}
        for key, raw in (doc.get("families") or {}).items():
            if key in families:
                raise ValueError(f"family {key} defined twice")
            family = Family(key=key, label=raw["label"], unit=raw["unit"], kind=raw["kind"],
                            regions=tuple(raw["regions"]), renewal=raw.get("renewal"),
                            renewal_months=raw.get("renewal_months"), by_district=bool(raw.get("by_district")),
                            categories=tuple(raw.get("categories") or ()))
            for value in raw["values"]:
                if not family.takes(value["region"]):
                    raise ValueError(f"{key}: region {value['region']} is not one of {list(family.regions)}"
                                     + (" (by district: <district>:<region>)" if family.by_district else ""))
                record = _record(family, value, sources)
                family.records.setdefault(record.region, []).append(record)
            family.index()
            families[key] = family
        for key, raw in (doc.get("settings") or {}).items():
            settings[key] = Record(family=key, label=raw["label"], unit="setting", region="cq",
                                   start=None, end=None, value=Decimal(raw["value"]),
                                   source=sources[raw["source"]], confidence=raw["confidence"],
                                   note=raw.get("note"))
        tiers = doc.get("district_tiers")
        if tiers:
            for group in tiers["tiers"]:
                for district in group["districts"]:
                    districts.setdefault(district, []).append(DistrictEntry(
                        name=district, tier=group["region"], start=_parse_date(group["start"]),
                        source=sources[group["source"]], confidence=group["confidence"]))
            aliases.update(tiers.get("aliases") or {})
    return ParameterSet(families, districts, aliases, settings, version=digest.hexdigest()[:12])


def load_documents(folder=None) -> list[tuple[str, dict]]:
    """The *.yaml documents of a folder (default: the data shipped with the package), parsed."""
    folder = folder if folder is not None else resources.files("costing.engine") / "data"
    documents = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            documents.append((entry.name, yaml.load(entry.read_text("utf-8"), Loader=_Loader)))
    return documents


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=1)
def default_parameters() -> ParameterSet:
    """The parameters shipped with the package (read once per process)."""
    return parse_documents(load_documents())
