"""Canonical forms of the identifiers planners paste in: WWPNs and MAC addresses."""

import re

from django.core.exceptions import ValidationError

_WWPN_NOISE = re.compile(r"[\s:.\-]")


def wwpn_normalize(value: str) -> str:
    """16 lower-case hex digits from any common spelling: `C0:50:76:...`, `c050-7604-...`,
    `0xc050...`, with spaces. Raises ValidationError saying what is wrong."""
    text = _WWPN_NOISE.sub("", str(value or "")).lower()
    if text.startswith("0x"):
        text = text[2:]
    if not re.fullmatch(r"[0-9a-f]{16}", text):
        raise ValidationError(
            f"“{value}” is not a WWPN: a WWPN is 16 hexadecimal digits, "
            "optionally separated by colons, dashes or spaces."
        )
    if text == "0" * 16:
        raise ValidationError("An all-zero WWPN is not a real port name.")
    return text


def wwpn_colon(value: str) -> str:
    """`c0:50:76:...`, the form switches print."""
    v = value
    return f"{v[0:2]}:{v[2:4]}:{v[4:6]}:{v[6:8]}:{v[8:10]}:{v[10:12]}:{v[12:14]}:{v[14:16]}"


def mac_normalize(value: str) -> str:
    """12 lower-case hex digits from `AA:BB:CC:DD:EE:FF`, `aabb.ccdd.eeff` or bare."""
    text = _WWPN_NOISE.sub("", str(value or "")).lower()
    if not re.fullmatch(r"[0-9a-f]{12}", text):
        raise ValidationError(f"“{value}” is not a MAC address: 12 hexadecimal digits expected.")
    return text
