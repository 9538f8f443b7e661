"""The partner registry: `partners/*.yaml` loaded, validated and indexed by envelope identifiers.

`load_partners` reads every `*.yaml` of a directory (not recursive), validates each with
`PartnerConfig`, appends the rows of an `items_csv` file to the partner's `items`, then checks the
files against each other. Every problem of every file is collected before anything is raised, so one
`PartnerConfigError` lists all of them, each as `file: field: message`.

Rules beyond the schema:

- the partner id is the file name (`partners/acme-fasteners.yaml` holds `id: acme-fasteners`);
- partner ids are unique, and so are envelope identifiers: ISA05/ISA06 plus the GS02 the partner
  sends (its `gs_id`, or its ISA id when it has none). Two partners may share an ISA id only when
  their GS02 differ;
- the element separator, segment terminator and component separator are three different characters,
  and so is the repetition separator for 005010 (ISA11 carries it there; in 004010 it is `U`);
- a unit conversion is given once per (item, from unit, to unit), and never from a unit to itself;
- an item cross-reference (buyer item, supplier item) is given once, inline and CSV together.

`validate_references` checks what the files point to outside themselves: maps, certificates, secrets.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import ValidationError

from gateway.errors import PartnerConfigError, UnknownPartnerError
from gateway.kit import yamlio
from gateway.partners import secrets
from gateway.partners.model import ItemXref, PartnerConfig

CSV_COLUMNS = ("buyer_item", "supplier_item", "upc")
_REQUIRED_CSV_COLUMNS = frozenset({"buyer_item", "supplier_item"})
# Pydantic error types where a YAML scalar read as a number is the likely cause (004010, 997).
_QUOTE_HINT_TYPES = frozenset({"literal_error", "enum", "string_type"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one partner file: which file, which field, what."""

    file: str
    field: str
    message: str

    def describe(self) -> str:
        return f"{self.file}: {self.field}: {self.message}" if self.field else f"{self.file}: {self.message}"


@dataclass(frozen=True)
class _Source:
    """A validated partner config and the file it came from."""

    file: str
    config: PartnerConfig


def _raise_if_any(problems: Sequence[Problem], what: str) -> None:
    if not problems:
        return
    lines = "\n".join(f"- {p.describe()}" for p in problems)
    raise PartnerConfigError(
        f"{len(problems)} problem(s) in {what}:\n{lines}",
        problems=[{"file": p.file, "field": p.field, "message": p.message} for p in problems],
    )


class PartnerRegistry:
    """The loaded partners, by id and by the identifiers they put in X12 envelopes.

    Built by `load_partners`; constructing it directly runs the same cross-partner checks (without
    file names) and raises `PartnerConfigError` on duplicates.
    """

    def __init__(self, partners: Iterable[PartnerConfig] = ()) -> None:
        configs = sorted(partners, key=lambda c: c.id)
        _raise_if_any(_cross_check([_Source(c.id, c) for c in configs]), "the partner registry")
        self._by_id: dict[str, PartnerConfig] = {c.id: c for c in configs}
        self._by_isa: dict[tuple[str, str], list[PartnerConfig]] = {}
        self._by_unb: dict[str, list[PartnerConfig]] = {}
        self._by_cxml: dict[tuple[str, str], PartnerConfig] = {}
        self._by_portal: dict[tuple[str, str], PartnerConfig] = {}
        self._by_as2: dict[str, PartnerConfig] = {}
        for c in configs:
            if c.x12 is not None:
                key = (c.x12.isa_qualifier.strip(), c.x12.isa_id.rstrip())
                self._by_isa.setdefault(key, []).append(c)
            if c.edifact is not None:
                self._by_unb.setdefault(c.edifact.unb_id.strip(), []).append(c)
            if c.cxml is not None:
                self._by_cxml[_cxml_key(c.cxml.domain, c.cxml.identity)] = c
            if c.portal is not None:
                self._by_portal[(c.portal.portal, c.portal.account)] = c
            if c.channels.as2 is not None:
                self._by_as2[c.channels.as2.as2_id] = c

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, partner_id: object) -> bool:
        return partner_id in self._by_id

    def __iter__(self) -> Iterator[PartnerConfig]:
        return iter(self._by_id.values())

    def get(self, partner_id: str) -> PartnerConfig:
        """The partner with this id; `UnknownPartnerError` when there is none."""
        try:
            return self._by_id[partner_id]
        except KeyError:
            raise UnknownPartnerError(f"unknown partner {partner_id!r}", partner_id=partner_id) from None

    def all(self) -> tuple[PartnerConfig, ...]:
        """Every partner, enabled or not, sorted by id."""
        return tuple(self._by_id.values())

    def identify_x12(
        self, sender_qualifier: str, sender_id: str, application_sender: str | None = None
    ) -> PartnerConfig | None:
        """The partner that sent an interchange, from ISA05/ISA06 and, when needed, GS02.

        ISA06 is compared with its trailing blanks stripped (the field is padded to 15) and
        case-sensitively, as X12 compares identifiers. When one partner has that ISA id it is the
        answer whatever GS02 says (checking GS02 is the envelope reader's job). When several share
        it, GS02 picks the one whose `gs_id` (or ISA id, when it has none) equals it; with no GS02,
        or one that matches none of them, the sender is ambiguous and the answer is None.
        Disabled partners are returned too: refusing them is the caller's decision.
        """
        candidates = self._by_isa.get((sender_qualifier.strip(), sender_id.rstrip()), [])
        if len(candidates) == 1:
            return candidates[0]
        if application_sender is None:
            return None
        gs02 = application_sender.rstrip()
        return next((c for c in candidates if _gs_id(c) == gs02), None)

    def identify_edifact(self, sender_id: str, sender_qualifier: str | None = None) -> PartnerConfig | None:
        """The partner that sent an EDIFACT interchange, from UNB S002 (0004 identification, 0007
        qualifier). A partner whose config gives no qualifier matches any; when several share the id,
        the qualifier must pick exactly one."""
        candidates = self._by_unb.get(sender_id.strip(), [])
        qualifier = (sender_qualifier or "").strip() or None
        matching = [
            c
            for c in candidates
            if c.edifact is not None
            and (c.edifact.unb_qualifier is None or c.edifact.unb_qualifier == qualifier)
        ]
        if len(matching) == 1:
            return matching[0]
        exact = [c for c in matching if c.edifact is not None and c.edifact.unb_qualifier == qualifier]
        return exact[0] if len(exact) == 1 else None

    def identify_cxml(self, domain: str, identity: str) -> PartnerConfig | None:
        """The partner whose cXML credential this is (domain compared without regard to case, since
        networks write both NetworkID and NetworkId; identity exactly)."""
        return self._by_cxml.get(_cxml_key(domain, identity))

    def identify_portal(self, portal: str, account: str) -> PartnerConfig | None:
        """The partner behind a portal account."""
        return self._by_portal.get((portal, account))

    def portal_partners(self, portal: str) -> tuple[PartnerConfig, ...]:
        """Every partner reached through one portal (their secrets verify its webhooks)."""
        return tuple(c for (p, _), c in sorted(self._by_portal.items()) if p == portal)

    def identify_as2(self, as2_id: str) -> PartnerConfig | None:
        """The partner with this AS2-From id."""
        return self._by_as2.get(as2_id)


def _cxml_key(domain: str, identity: str) -> tuple[str, str]:
    return (domain.strip().casefold(), identity.strip())


def _gs_id(config: PartnerConfig) -> str:
    assert config.x12 is not None
    return (config.x12.gs_id or config.x12.isa_id).rstrip()


# ---------------------------------------------------------------- loading


def load_partners(directory: Path) -> PartnerRegistry:
    """Load and validate every `*.yaml` in `directory`; raise one `PartnerConfigError` listing all problems.

    An empty directory gives an empty registry; a missing one is an error.
    """
    if not directory.is_dir():
        raise PartnerConfigError(
            f"the partner directory {directory} does not exist", directory=str(directory)
        )
    problems: list[Problem] = []
    sources: list[_Source] = []
    for path in sorted(directory.glob("*.yaml")):
        config = _load_file(path, problems)
        if config is None:
            continue
        if config.id != path.stem:
            problems.append(Problem(path.name, "id", f"{config.id!r} must be the file name ({path.stem!r})"))
        sources.append(_Source(path.name, config))
    problems.extend(_cross_check(sources))
    _raise_if_any(problems, f"the partner files in {directory}")
    return PartnerRegistry(s.config for s in sources)


def _load_file(path: Path, problems: list[Problem]) -> PartnerConfig | None:
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(name, "", f"cannot be read: {exc}"))
        return None
    try:
        raw: Any = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        problems.append(Problem(name, "", f"is not valid YAML: {_one_line(str(exc))}"))
        return None
    if not isinstance(raw, dict):
        problems.append(Problem(name, "", "must hold a mapping of settings at its top level"))
        return None
    try:
        config = PartnerConfig.model_validate(raw)
    except ValidationError as exc:
        problems.extend(Problem(name, _loc(err["loc"]), _message(err)) for err in exc.errors())
        return None
    if config.items_csv is None:
        return config
    rows = _load_items_csv(path, config.items_csv, problems)
    if rows is None:
        return None
    return config.model_copy(update={"items": config.items + rows})


def _load_items_csv(yaml_path: Path, relative: str, problems: list[Problem]) -> tuple[ItemXref, ...] | None:
    """The rows of a partner's item CSV, or None (with problems recorded) when any row is wrong."""
    name = yaml_path.name
    if PurePosixPath(relative).is_absolute() or Path(relative).is_absolute():
        problems.append(Problem(name, "items_csv", f"{relative!r} must be relative to the partner file"))
        return None
    csv_path = yaml_path.parent / relative
    csv_name = PurePosixPath(relative).as_posix()
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(name, "items_csv", f"cannot read {relative!r}: {exc}"))
        return None
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in reader.fieldnames or ()]
    missing = sorted(_REQUIRED_CSV_COLUMNS - set(columns))
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if missing or unknown:
        detail = "; ".join(
            part
            for part in (
                f"missing column(s) {', '.join(missing)}" if missing else "",
                f"unknown column(s) {', '.join(unknown)}" if unknown else "",
            )
            if part
        )
        problems.append(Problem(csv_name, "header", f"{detail} (expected {', '.join(CSV_COLUMNS)})"))
        return None
    rows: list[ItemXref] = []
    ok = True
    for record in reader:
        values = {k.strip(): (v or "").strip() for k, v in record.items() if k is not None}
        if None in record:
            problems.append(Problem(csv_name, f"line {reader.line_num}", "has more fields than the header"))
            ok = False
            continue
        data = {k: v for k, v in values.items() if v}  # a blank cell is a missing value
        try:
            rows.append(ItemXref.model_validate(data))
        except ValidationError as exc:
            ok = False
            problems.extend(
                Problem(csv_name, f"line {reader.line_num}.{_loc(err['loc'])}", _message(err))
                for err in exc.errors()
            )
    return tuple(rows) if ok else None


def _loc(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a path: ("items", 2, "upc") -> items[2].upc."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


def _message(err: Any) -> str:
    message = str(err["msg"])
    if err["type"] in _QUOTE_HINT_TYPES and isinstance(err.get("input"), int | float):
        message += ' (YAML read the value as a number: write it in quotes, e.g. "004010")'
    return message


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _UniqueKeyLoader(yamlio.SafeLoader):  # type: ignore[misc,valid-type]
    """PyYAML's safe loader, except that a key given twice in one mapping is an error (not last-wins)."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        try:
            duplicate = key in seen
        except TypeError:  # an unhashable key; construct_mapping reports it
            continue
        if duplicate:
            problem = f"found the key {key!r} twice"
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, problem, key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


# ---------------------------------------------------------------- cross-file checks


def _cross_check(sources: Sequence[_Source]) -> list[Problem]:
    problems: list[Problem] = []
    ids: dict[str, str] = {}
    envelopes: dict[tuple[str, str, str], str] = {}
    identities: dict[tuple[str, ...], str] = {}
    for s in sources:
        c = s.config
        if c.id in ids:
            problems.append(Problem(s.file, "id", f"partner id {c.id!r} is also used in {ids[c.id]}"))
        else:
            ids[c.id] = s.file
        if c.x12 is not None:
            key = (c.x12.isa_qualifier.strip(), c.x12.isa_id.rstrip(), _gs_id(c))
            if key in envelopes:
                problems.append(
                    Problem(
                        s.file,
                        "x12.isa_id",
                        f"envelope identifiers {key[0]}/{key[1]} with GS02 {key[2]} are also used in "
                        f"{envelopes[key]} (give each partner sharing an ISA id its own gs_id)",
                    )
                )
            else:
                envelopes[key] = s.file
            problems.extend(_check_delimiters(s))
        problems.extend(_check_identities(s, identities))
        problems.extend(_check_units(s))
        problems.extend(_check_items(s))
    return problems


def _check_identities(s: _Source, seen: dict[tuple[str, ...], str]) -> list[Problem]:
    """EDIFACT, cXML, portal and AS2 identities and API client ids are unique across partners."""
    c = s.config
    keys: list[tuple[str, tuple[str, ...]]] = []
    if c.edifact is not None:
        keys.append(("edifact.unb_id", ("unb", c.edifact.unb_id.strip(), c.edifact.unb_qualifier or "")))
    if c.cxml is not None:
        keys.append(("cxml.identity", ("cxml", *_cxml_key(c.cxml.domain, c.cxml.identity))))
    if c.portal is not None:
        keys.append(("portal.account", ("portal", c.portal.portal, c.portal.account)))
    if c.channels.as2 is not None:
        keys.append(("channels.as2.as2_id", ("as2", c.channels.as2.as2_id)))
    if c.api is not None:
        keys.extend(
            (f"api.clients[{i}].client_id", ("client", k.client_id)) for i, k in enumerate(c.api.clients)
        )
    problems = []
    for field, key in keys:
        if key in seen:
            problems.append(Problem(s.file, field, f"{'/'.join(key[1:])} is also used in {seen[key]}"))
        else:
            seen[key] = s.file
    return problems


def _check_delimiters(s: _Source) -> list[Problem]:
    x12 = s.config.x12
    assert x12 is not None
    d = x12.delimiters
    used = {"element": d.element, "segment": d.segment, "component": d.component}
    if x12.version == "005010":
        used["repetition"] = d.repetition
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    for name, ch in used.items():
        if ch in seen:
            problems.append(
                Problem(s.file, f"x12.delimiters.{name}", f"{ch!r} is also the {seen[ch]} delimiter")
            )
        else:
            seen[ch] = name
    return problems


def _check_units(s: _Source) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[tuple[str | None, str, str], int] = {}
    for i, u in enumerate(s.config.units):
        key = (u.item, u.from_unit.strip().upper(), u.to_unit.strip().upper())
        if key[1] == key[2]:
            problems.append(Problem(s.file, f"units[{i}]", f"converts {u.from_unit} to itself"))
        elif key in seen:
            problems.append(Problem(s.file, f"units[{i}]", f"repeats the conversion of units[{seen[key]}]"))
        else:
            seen[key] = i
    return problems


def _check_items(s: _Source) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for i, x in enumerate(s.config.items):
        key = (x.buyer_item, x.supplier_item)
        if key in seen:
            problems.append(
                Problem(
                    s.file,
                    f"items[{i}]",
                    f"buyer item {x.buyer_item} / supplier item {x.supplier_item} is listed twice",
                )
            )
        seen.add(key)
    return problems


# ---------------------------------------------------------------- references outside partners/


def validate_references(
    registry: PartnerRegistry,
    maps_dir: Path,
    partners_dir: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> list[str]:
    """Messages for every reference a partner file makes that does not resolve; empty when all do.

    Map overrides (`maps` values) and the JSON maps of portals and REST pollers are paths relative to
    `maps_dir` and must name an existing file inside it. With `partners_dir`, AS2 certificates must
    exist beside the partner files, be PEM X.509 certificates and be valid at `now` (default: the
    current time), and every secret reference must resolve (without showing it).
    """
    now = now or dt.datetime.now(dt.UTC)
    messages: list[str] = []
    for config in registry.all():
        refs = [(f"maps[{key!r}]", rel) for key, rel in sorted(config.maps.items())]
        if config.portal is not None:
            refs.append(("portal.map", config.portal.map))
        if config.channels.rest_poll is not None:
            refs.append(("channels.rest_poll.map", config.channels.rest_poll.map))
        for field, relative in refs:
            where = f"{config.id}: {field}"
            problem = _inside(maps_dir, relative)
            if problem:
                messages.append(f"{where}: {relative!r} {problem}")
        if partners_dir is None:
            continue
        as2 = config.channels.as2
        if as2 is not None:
            certs = [("certificate", as2.certificate)]
            if as2.ca_certificate is not None:
                certs.append(("ca_certificate", as2.ca_certificate))
            for field, cert in certs:
                problem = _inside(partners_dir, cert) or _certificate_problem(partners_dir / cert, now)
                if problem:
                    messages.append(f"{config.id}: channels.as2.{field}: {cert!r} {problem}")
        messages.extend(secrets.missing(config, base_dir=partners_dir, environ=environ))
    return messages


def _certificate_problem(path: Path, now: dt.datetime) -> str | None:
    """Why the PEM file at `path` is no usable certificate at `now`, or None."""
    from cryptography import x509  # here: loading it is a tenth of a translate's start-up

    try:
        certificates = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as exc:
        return f"is not a PEM certificate ({exc})"
    first = certificates[0]
    if now < first.not_valid_before_utc:
        return f"is not valid before {first.not_valid_before_utc:%Y-%m-%d}"
    if now > first.not_valid_after_utc:
        return f"expired on {first.not_valid_after_utc:%Y-%m-%d}"
    return None


def _inside(directory: Path, relative: str) -> str | None:
    """Why `relative` does not name a file inside `directory`, or None when it does."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or Path(relative).is_absolute() or ".." in pure.parts:
        return f"must be a path inside {directory.name}/"
    if not (directory / relative).is_file():
        return f"does not exist in {directory.name}/"
    return None
