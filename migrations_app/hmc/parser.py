"""Reading HMC command output: `attr=value` records, `-F` positional rows, profile lists, and
the sentinels an HMC prints for nothing (§1.4 and §9 of the domain notes)."""

import csv
from collections.abc import Sequence
from dataclasses import dataclass

NO_RESULTS = "No results were found."
SENTINELS = frozenset({"", "none", "null", "any", "unavailable"})


def _csv_row(line: str) -> list[str]:
    return next(csv.reader([line]), [])


def records_parse(text: str) -> list[dict[str, str]]:
    """One dict per line of `attr=value,…`; a field quoted as `"attr=v1,v2"` keeps its commas.
    `No results were found.` is an empty list; fields a record lacks are simply absent."""
    records = []
    for line in text.splitlines():
        if not line.strip() or line.strip() == NO_RESULTS:
            continue
        record = {}
        for field in _csv_row(line):
            name, sep, value = field.partition("=")
            if sep:
                record[name.strip()] = value
        records.append(record)
    return records


def positional_parse(
    text: str, fields: Sequence[str], delimiter: str = ","
) -> list[dict[str, str]]:
    """`-F a,b,c` output: bare values in the asked order; a value with the delimiter in it is
    quoted. Rows with more values than fields keep the extra ones out; fewer are padded with ""."""
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.strip() == NO_RESULTS:
            continue
        values = next(csv.reader([line], delimiter=delimiter), [])
        values += [""] * (len(fields) - len(values))
        rows.append(dict(zip(fields, values, strict=False)))
    return rows


def list_split(value: str) -> list[str]:
    """The elements of a list value: `a,b` or `"a,b","c"` (elements with commas were doubled-quoted
    inside the field, which the record parse has already un-doubled)."""
    if value_or_none(value) is None:
        return []
    return [item for item in _csv_row(value) if item != ""]


def value_or_none(value: str | None) -> str | None:
    """None for the HMC's ways of saying nothing: absent, empty, none, null, any, unavailable."""
    if value is None or value.strip().lower() in SENTINELS:
        return None
    return value


def wwpns_parse(value: str | None) -> tuple[str, ...]:
    """The WWPNs of a `wwpns` field, lower case, in the HMC's order. The field quoted once or
    with doubled quotes (the pair as one list element) gives the same pair. Whether they are
    WWPNs at all is for the caller to judge."""
    return tuple(
        w.strip().lower()
        for item in list_split(value or "")
        for w in item.split(",")
        if value_or_none(w) is not None
    )


def int_or_none(value: str | None) -> int | None:
    value = value_or_none(value)
    return int(value) if value is not None else None


@dataclass(frozen=True)
class ProfileEthAdapter:
    """`slot/ieee/pvid/tagged_vlans/trunk_priority/required[/vswitch/…]`."""

    slot: int
    pvid: int
    tagged_vlans: tuple[int, ...]
    trunk_priority: int
    vswitch: str | None


@dataclass(frozen=True)
class ProfileStorageAdapter:
    """A vSCSI or vFC element: `slot/client|server/remote_id/remote_name/remote_slot[/wwpns]/…`."""

    slot: int
    role: str
    remote_lpar_id: int | None
    remote_lpar_name: str | None
    remote_slot: int | None
    wwpns: tuple[str, ...] = ()


def profile_eth_parse(element: str) -> ProfileEthAdapter:
    parts = element.split("/")
    tagged = tuple(int(v) for v in parts[3].split(",") if v.strip()) if len(parts) > 3 else ()
    return ProfileEthAdapter(
        slot=int(parts[0]),
        pvid=int(parts[2]),
        tagged_vlans=tagged,
        trunk_priority=int(parts[4] or 0) if len(parts) > 4 else 0,
        vswitch=value_or_none(parts[6]) if len(parts) > 6 else None,
    )


def profile_scsi_parse(element: str) -> ProfileStorageAdapter:
    parts = element.split("/")
    return ProfileStorageAdapter(
        slot=int(parts[0]),
        role=parts[1],
        remote_lpar_id=int_or_none(parts[2]),
        remote_lpar_name=value_or_none(parts[3]),
        remote_slot=int_or_none(parts[4]),
    )


def profile_fc_parse(element: str) -> ProfileStorageAdapter:
    parts = element.split("/")
    wwpns = wwpns_parse(parts[5]) if len(parts) > 5 else ()
    return ProfileStorageAdapter(
        slot=int(parts[0]),
        role=parts[1],
        remote_lpar_id=int_or_none(parts[2]),
        remote_lpar_name=value_or_none(parts[3]),
        remote_slot=int_or_none(parts[4]),
        wwpns=wwpns,
    )


def profile_io_slot_parse(element: str) -> str:
    """`drc_index/io_pool/required` → the DRC index."""
    return element.split("/")[0]
