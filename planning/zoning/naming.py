"""Alias and zone names that every switch accepts: deterministic, length-safe, unique per
fabric, stable across exports, and safe from reserved prefixes (zoning notes §8)."""

import hashlib
import re
from dataclasses import dataclass, field

MAX_LENGTH = 64
STORAGE_HOST_MAX_LENGTH = 63
# The names every FOS and MDS release accepts; `-`, `$` and `^` only on newer releases.
STRICT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
RESERVED_PREFIXES = ("bfa_", "lsan_red_", "d__efault__", "lsan_", "qosh", "qosl", "msfr_", "red_")
_RESERVED = re.compile("|".join(map(re.escape, RESERVED_PREFIXES)), re.IGNORECASE)
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_]+")
_STORAGE_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_.\- ]+")


def _short_hash(text: str, length: int = 6) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:length]


_PARTS: dict[str, str] = {}  # frame, LPAR and adapter names repeat across thousands of names
_PARTS_MAX = 100_000


def name_part(text: object) -> str:
    """A piece of a name in the strict character set: other characters become `_`."""
    text = text if type(text) is str else str(text)
    part = _PARTS.get(text)
    if part is None:
        part = _NOT_ALLOWED.sub("_", text).strip("_")
        if len(_PARTS) < _PARTS_MAX:
            _PARTS[text] = part
    return part


def name_problems(name: str) -> list[str]:
    """Why `name` would be refused by a switch; empty when it is fine."""
    problems = []
    if not STRICT_NAME.fullmatch(name):
        problems.append(
            f"“{name}” must start with a letter and use only letters, digits and _ "
            f"(at most {MAX_LENGTH})."
        )
    if _RESERVED.match(name):
        lowered = name.lower()
        for prefix in RESERVED_PREFIXES:
            if lowered.startswith(prefix):
                problems.append(f"“{name}” starts with the reserved prefix {prefix}.")
    return problems


def storage_host_name(lpar_name: str) -> str:
    """A Storage Virtualize host object name: ≤ 63 of `A-Z a-z 0-9 _ . -` and space, not `_`
    first."""
    name = _STORAGE_NOT_ALLOWED.sub("_", lpar_name).lstrip("_ ") or f"host_{_short_hash(lpar_name)}"
    if len(name) > STORAGE_HOST_MAX_LENGTH:
        name = f"{name[: STORAGE_HOST_MAX_LENGTH - 7]}_{_short_hash(lpar_name)}"
    return name


@dataclass
class NameBook:
    """The names given out on one fabric. The same identity always gets the same name; two
    identities that would get the same name (ignoring case) are told apart by a short hash of
    the second one's identity, so the result does not depend on the order of the calls for any
    identity whose preferred name is free."""

    given: dict[str, str] = field(default_factory=dict)  # lower-case name → identity
    by_identity: dict[str, str] = field(default_factory=dict)
    # False: only the names given are kept, not who got them (a name is then asked for once
    # per identity: the streamed export's book, whose memory must not follow the estate).
    keep_identities: bool = True

    def name(self, identity: str, *parts: str, suffix: str = "") -> str:
        known = self.by_identity.get(identity)
        if known is not None:
            return known
        return self.named(identity, "_".join(p for p in map(name_part, parts) if p), suffix)

    def from_template(
        self, identity: str, template: str, values: dict[str, object], suffix: str = ""
    ) -> str:
        """The name `template` (e.g. `{lpar}_{adapter}`) gives for `values`, made legal."""
        known = self.by_identity.get(identity)
        if known is not None:
            return known
        return self.named(identity, template_base(template, values), suffix)

    def named(self, identity: str, base: str, suffix: str = "") -> str:
        """The name of `identity` from a `base` in the strict character set (`template_base`:
        one base serves both WWPNs of a pair, told apart by their suffixes)."""
        known = self.by_identity.get(identity)
        if known is not None:
            return known
        base = base or "obj"
        if not base[0].isalpha():
            base = f"h_{base}"
        name = self._fit(base, suffix)
        if name.lower() in self.given:
            name = self._fit(base, f"_{_short_hash(identity)}{suffix}")
        if self.keep_identities:
            self.given[name.lower()] = identity
            self.by_identity[identity] = name
        else:
            self.given[name.lower()] = ""
        return name

    @classmethod
    def _fit(cls, base: str, suffix: str) -> str:
        """`base` + `suffix` within the length limit; `h_` in front when the whole name would
        start with a reserved prefix (`BFA` + `_w1` is `bfa_…` to a switch)."""
        if len(base) + len(suffix) <= MAX_LENGTH:
            name = base + suffix
        else:
            room = MAX_LENGTH - len(suffix) - 7
            name = f"{base[:room].rstrip('_')}_{_short_hash(base)}{suffix}"
        if _RESERVED.match(name):
            return cls._fit(f"h_{base}", suffix)
        return name


def template_base(template: str, values: dict[str, object]) -> str:
    """What `template` gives for `values`, in the strict character set (before the suffix and
    the checks for uniqueness, length and reserved prefixes that `NameBook.named` makes)."""
    text = template.format_map({key: name_part(value) for key, value in values.items()})
    return _NOT_ALLOWED.sub("_", text).strip("_")
