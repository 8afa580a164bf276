"""Applying a read workbook to the estate, in one transaction: each row is matched to a stored
object by its `id`, else by its natural key; the columns that differ are changed, a row that
changes nothing is left alone, a new key is created. Rows are validated and written in batches
(`objects_bulk_create` / `objects_bulk_change`) with their history rows (a dry run writes none:
they would be rolled back). Any problem, or a dry run, rolls everything back: the report says
what would be (or was) created, changed and left."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction

from inventory.choices import VirtualAdapterKind, VirtualAdapterRole
from inventory.models import (
    Adapter,
    Drawer,
    Fabric,
    Frame,
    Hmc,
    Lpar,
    Port,
    SharedProcessorPool,
    Slot,
    StoragePort,
    VirtualAdapter,
    Vlan,
    Wwpn,
)
from inventory.services import (
    objects_bulk_change,
    objects_bulk_create,
    port_wwpn_set,
    storage_port_wwpn_set,
    vfc_wwpns_set,
    virtual_adapters_vlans_add,
)
from planning.rules import SlotRuleLookups, slot_rule_lookups
from planning.selectors import schemes_by_frame
from planning.workbook import columns as c
from planning.workbook.export import cell_value, port_location, sheet_rows
from planning.workbook.read import ParsedSheet, ParsedWorkbook, Problem

Progress = Callable[[int, int], None]
MAX_LISTED_CHANGES = 1000
ADAPTER_FIELDS = {
    "adapter_kind": "kind",
    "feature_code": "feature_code",
    "adapter_description": "description",
    "owner": "owner",
}


class RowProblem(Exception):
    """A row refers to something that is not there: (column key, message)."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key, self.message = key, message


@dataclass
class SheetResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class ImportReport:
    sheets: dict[str, SheetResult] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    committed: bool = False

    @property
    def total(self) -> dict[str, int]:
        return {
            k: sum(getattr(s, k) for s in self.sheets.values())
            for k in ("created", "updated", "unchanged")
        }

    def as_dict(self) -> dict:
        return {
            "committed": self.committed,
            "sheets": {title: result.as_dict() for title, result in self.sheets.items()},
            "total": self.total,
            "problems": [p.as_dict() for p in self.problems],
            "notes": [p.as_dict() for p in self.notes],
            "changes": self.changes,
        }


@dataclass
class _Pending:
    """One row on its way to the database."""

    number: int
    values: dict
    instance: models.Model
    changed: list[str]  # column keys that differ (all given ones for a new row)
    current: dict | None  # the stored row as the workbook shows it, None for a new one
    tagged: list = field(default_factory=list)  # virtual adapters: the tagged VLANs
    fabrics: list = field(default_factory=list)  # virtual adapters: each WWPN's fabric

    def without(self, keys: set[str]) -> "_Pending | None":
        """The same row with only the changed columns outside `keys` (None if none are)."""
        rest = [k for k in self.changed if k not in keys]
        if not rest:
            return None
        return _Pending(
            self.number, self.values, self.instance, rest, self.current, self.tagged, self.fabrics
        )


class _References:
    """Natural key → stored object, reloaded after a sheet changed what it maps."""

    def __init__(self) -> None:
        self._cache: dict[str, dict] = {}

    def forget(self, *names: str) -> None:
        for name in names:
            self._cache.pop(name, None)

    def _get(self, name: str, load: Callable[[], dict]) -> dict:
        if name not in self._cache:
            self._cache[name] = load()
        return self._cache[name]

    def frames(self) -> dict[str, Frame]:
        return self._get("frames", lambda: {f.name: f for f in Frame.objects.all()})

    def hmcs(self) -> dict[str, Hmc]:
        return self._get("hmcs", lambda: {h.name: h for h in Hmc.objects.all()})

    def fabrics(self) -> dict[str, Fabric]:
        return self._get("fabrics", lambda: {f.name: f for f in Fabric.objects.all()})

    def vlans(self) -> dict[int, Vlan]:
        return self._get("vlans", lambda: {v.vlan_id: v for v in Vlan.objects.all()})

    def pools(self) -> dict[tuple[str, str], SharedProcessorPool]:
        return self._get(
            "pools",
            lambda: {
                (p.frame.name, p.name): p
                for p in SharedProcessorPool.objects.select_related("frame")
            },
        )

    def drawers(self) -> dict[tuple[str, str], Drawer]:
        return self._get(
            "drawers",
            lambda: {(d.frame.name, d.location): d for d in Drawer.objects.select_related("frame")},
        )

    def lpars(self) -> dict[tuple[str, str], Lpar]:
        def load() -> dict:
            return {
                (lpar.frame.name, lpar.name): lpar for lpar in Lpar.objects.select_related("frame")
            }

        return self._get("lpars", load)

    def adapters(self) -> dict[tuple[str, str, str], Adapter]:
        return self._get(
            "adapters",
            lambda: {
                (a.slot.drawer.frame.name, a.slot.drawer.location, a.slot.location): a
                for a in Adapter.objects.select_related("slot__drawer__frame")
            },
        )

    def ports(self) -> dict[tuple[str, str], Port]:
        return self._get(
            "ports",
            lambda: {
                (
                    p.adapter.slot.drawer.frame.name,
                    port_location(p.adapter.slot.drawer.location, p.adapter.slot.location, p.name),
                ): p
                for p in Port.objects.select_related("adapter__slot__drawer__frame")
            },
        )

    def frame(self, values: dict, key: str = "frame") -> Frame:
        name = values.get(key, "")
        frame = self.frames().get(name)
        if frame is None:
            raise RowProblem(key, f"no frame {name} in the estate or the Frames sheet")
        return frame

    def lpar(self, values: dict, key: str, frame_key: str = "frame") -> Lpar | None:
        name = values.get(key, "")
        if not name:
            return None
        frame = self.frame(values, frame_key)
        lpar = self.lpars().get((frame.name, name))
        if lpar is None:
            raise RowProblem(key, f"no LPAR {name} on frame {frame.name}")
        return lpar

    def fabric(self, values: dict, key: str) -> Fabric | None:
        name = values.get(key, "")
        if not name:
            return None
        fabric = self.fabrics().get(name)
        if fabric is None:
            raise RowProblem(key, f"no fabric {name} in the estate or the Fabrics sheet")
        return fabric

    def vlan(self, number: int | None, key: str) -> Vlan | None:
        if number is None:
            return None
        vlan = self.vlans().get(number)
        if vlan is None:
            raise RowProblem(key, f"VLAN {number} is not in the estate or the VLANs sheet")
        return vlan


def _shown(column: c.Column, value: object) -> str:
    shown = cell_value(column, value)
    return "" if shown is None else str(shown)


class ImportRun:
    """One import run over a parsed workbook. Call `run()` inside a transaction."""

    def __init__(
        self, parsed: ParsedWorkbook, *, progress: Progress | None = None, history: bool = True
    ):
        self.parsed = parsed
        # A dry run is rolled back whatever it finds: it writes no history rows, which change
        # nothing in its report.
        self.history = history
        self.report = ImportReport(problems=list(parsed.problems), notes=list(parsed.notes))
        self.refs = _References()
        # The slot rule's schemes and stored slots: one lookup per import, not per adapter.
        named, default = schemes_by_frame()
        self.slot_lookups = SlotRuleLookups(schemes=named, default=default)
        self.progress = progress or (lambda done, total: None)
        self.done = 0
        bad = {(p.sheet, p.row) for p in parsed.problems if p.row}
        self._bad_rows = bad

    # -- what every sheet does ------------------------------------------------------------

    def run(self) -> ImportReport:
        total = max(self.parsed.row_count, 1)
        with slot_rule_lookups(self.slot_lookups):
            for spec in c.IMPORT_ORDER:
                sheet = self.parsed.sheet(spec)
                if sheet is None:
                    continue
                self.report.sheets[spec.title] = SheetResult()
                self.sheet_import(sheet)
                self.done += len(sheet.rows)
                self.progress(self.done, total)
        order = {spec.title: n for n, spec in enumerate(c.SHEETS)}
        self.report.sheets = dict(sorted(self.report.sheets.items(), key=lambda i: order[i[0]]))
        self.report.problems.sort(key=lambda p: (order.get(p.sheet, 99), p.row or 0))
        return self.report

    def problem(self, spec: c.SheetSpec, number: int, key: str | None, message: str) -> None:
        column = spec.by_key.get(key) if key else None
        self.report.problems.append(
            Problem(spec.title, number, column.header if column else "", message)
        )

    def refused(
        self,
        spec: c.SheetSpec,
        pending: _Pending,
        error: ValidationError,
        names: dict[str, str] | None = None,
    ) -> None:
        """Report a model's ValidationError under the columns its fields are in."""
        details = (
            error.message_dict
            if hasattr(error, "error_dict")
            else {NON_FIELD_ERRORS: error.messages}
        )
        for name, messages in details.items():
            key = (names or {}).get(name)
            if key is None:
                column = spec.column_for_error(name)
                key = column.key if column else None
            for message in messages:
                self.problem(spec, pending.number, key, message)

    def match(self, sheet: ParsedSheet) -> tuple[list[_Pending], list[_Pending]]:
        """Split the sheet's good rows into (new, changed) rows; count the unchanged ones."""
        spec, result = sheet.spec, self.report.sheets[sheet.spec.title]
        frames = {values.get("frame") for _, values in sheet.rows}
        ids = {values["id"] for _, values in sheet.rows if values.get("id")}
        stored = {row["id"]: row for row in sheet_rows(spec, frames=frames, ids=ids)}
        by_key = {tuple(row[k] for k in spec.key): pk for pk, row in stored.items()}
        seen: dict[tuple, int] = {}
        new, changed = [], []
        given = [col.key for col in sheet.columns if col.key != "id"]
        for number, values in sheet.rows:
            if (spec.title, number) in self._bad_rows:
                continue
            key = tuple(values.get(k) for k in spec.key)
            blank = [k for k, v in zip(spec.key, key, strict=True) if v in (None, "")]
            if blank:
                self.problem(spec, number, blank[0], "needed to identify the row, but empty")
                continue
            if key in seen:
                self.problem(
                    spec,
                    number,
                    spec.key[-1],
                    f"the same {spec.model._meta.verbose_name} as row {seen[key]}",
                )
                continue
            seen[key] = number
            pk = values.get("id")
            current = stored.get(pk) if pk in stored else stored.get(by_key.get(key))
            if current is None:
                new.append(_Pending(number, values, spec.model(), given, None))
                continue
            differ = [k for k in given if values[k] != current[k]]
            if not differ:
                result.unchanged += 1
                continue
            changed.append(_Pending(number, values, None, differ, current))
        instances = _stored_instances(
            spec.model, [p.current["id"] for p in changed], self.refs, self.slot_lookups
        )
        for pending in changed:
            pending.instance = instances[pending.current["id"]]
        return new, changed

    def record_change(self, spec: c.SheetSpec, pending: _Pending) -> None:
        if len(self.report.changes) >= MAX_LISTED_CHANGES:
            return
        label = " ".join(str(pending.values.get(k, "")) for k in spec.key)
        entry = {
            "sheet": spec.title,
            "row": pending.number,
            "object": label,
            "action": "update" if pending.current else "create",
        }
        if pending.current:
            entry["fields"] = [
                [
                    spec.by_key[k].header,
                    _shown(spec.by_key[k], pending.current[k]),
                    _shown(spec.by_key[k], pending.values[k]),
                ]
                for k in pending.changed
            ]
        self.report.changes.append(entry)

    def assign(
        self,
        spec: c.SheetSpec,
        pending: _Pending,
        setters: dict[str, Callable[[models.Model, dict], None]],
        skip: set[str] = frozenset(),
    ) -> bool:
        """Set the row's changed columns on its instance; False when a reference is missing.
        A new row leaves empty cells to the model's defaults."""
        instance, values = pending.instance, pending.values
        try:
            for key in pending.changed:
                if key in skip:
                    continue
                if pending.current is None and values[key] in ("", None, []):
                    continue
                if key in setters:
                    setters[key](instance, values)
                else:
                    setattr(instance, _field(spec, key), values[key])
        except RowProblem as problem:
            self.problem(spec, pending.number, problem.key, problem.message)
            return False
        return True

    def write(
        self,
        spec: c.SheetSpec,
        new: list[_Pending],
        changed: list[_Pending],
        names: dict[str, str] | None = None,
    ) -> tuple[list[_Pending], list[_Pending]]:
        """Create and change the rows in batches; returns the (new, changed) that were saved."""
        result = self.report.sheets[spec.title]
        by_instance = {id(p.instance): p for p in new + changed}
        created, refused = objects_bulk_create(
            instances=[p.instance for p in new], history=self.history
        )
        for instance, error in refused:
            self.refused(spec, by_instance[id(instance)], error, names)
        fields = sorted({_field(spec, k) for p in changed for k in p.changed} - {None})
        saved, refused = objects_bulk_change(
            instances=[p.instance for p in changed], fields=fields, history=self.history
        )
        for instance, error in refused:
            self.refused(spec, by_instance[id(instance)], error, names)
        done_new = [by_instance[id(i)] for i in created]
        done_changed = [by_instance[id(i)] for i in saved]
        result.created += len(done_new)
        result.updated += len(done_changed)
        for pending in done_new + done_changed:
            self.record_change(spec, pending)
        return done_new, done_changed

    def sheet_import(self, sheet: ParsedSheet) -> None:
        getattr(self, f"_{sheet.spec.model._meta.model_name}")(sheet)

    # -- one method per sheet -------------------------------------------------------------

    def _frame(self, sheet: ParsedSheet) -> None:
        def hmc(frame: models.Model, values: dict) -> None:
            assert isinstance(frame, Frame)
            name = values["hmc"]
            if name and name not in self.refs.hmcs():
                raise RowProblem("hmc", f"no HMC {name}: add it in the inventory first")
            frame.hmc = self.refs.hmcs().get(name)

        # A target may be a frame further down the same sheet: set it once every frame is saved.
        spec = sheet.spec
        target = {"evacuation_target"}
        new, changed = self.match(sheet)
        new = [p for p in new if self.assign(spec, p, {"hmc": hmc}, target)]
        changed = [p for p in changed if self.assign(spec, p, {"hmc": hmc}, target)]
        aimed = [p for p in new + changed if target & set(p.changed)]
        saved = self.write(spec, new, [q for p in changed if (q := p.without(target))])
        refused = self.rows_with_problems(spec)
        counted = {p.number for p in saved[1]}
        self.refs.forget("frames")
        linked = []
        for pending in aimed:
            if pending.number in refused:
                continue
            assert isinstance(pending.instance, Frame)
            frame = self.refs.frames()[pending.instance.name]
            name = pending.values.get("evacuation_target", "")
            if name:
                try:
                    frame.evacuation_target = self.refs.frame(pending.values, "evacuation_target")
                except RowProblem as problem:
                    self.problem(spec, pending.number, problem.key, problem.message)
                    continue
            else:
                frame.evacuation_target = None
            linked.append(
                _Pending(
                    pending.number, pending.values, frame, ["evacuation_target"], pending.current
                )
            )
        done, refused_links = objects_bulk_change(
            instances=[p.instance for p in linked],
            fields=["evacuation_target"],
            history=self.history,
        )
        by_instance = {id(p.instance): p for p in linked}
        for instance, error in refused_links:
            self.refused(spec, by_instance[id(instance)], error)
        for instance in done:
            pending = by_instance[id(instance)]
            if pending.current is not None and pending.number not in counted:
                self.report.sheets[spec.title].updated += 1
                self.record_change(spec, pending)
        self.refs.forget("frames")

    def _fabric(self, sheet: ParsedSheet) -> None:
        self._simple(sheet, {})
        self.refs.forget("fabrics")

    def _vlan(self, sheet: ParsedSheet) -> None:
        self._simple(sheet, {})
        self.refs.forget("vlans")

    def _sharedprocessorpool(self, sheet: ParsedSheet) -> None:
        self._simple(sheet, {"frame": self._set_frame})
        self.refs.forget("pools", "lpars")

    def _drawer(self, sheet: ParsedSheet) -> None:
        self._simple(sheet, {"frame": self._set_frame})
        self.refs.forget("drawers")

    def _set_frame(self, instance: models.Model, values: dict) -> None:
        instance.frame = self.refs.frame(values)

    def _simple(self, sheet: ParsedSheet, setters: dict, skip: set[str] = frozenset()):
        spec = sheet.spec
        new, changed = self.match(sheet)
        new = [p for p in new if self.assign(spec, p, setters, skip)]
        changed = [p for p in changed if self.assign(spec, p, setters, skip)]
        return self.write(spec, new, changed)

    def _lpar(self, sheet: ParsedSheet) -> None:
        def pool(lpar: Lpar, values: dict) -> None:
            name = values.get("shared_pool", "")
            if not name:
                lpar.shared_pool = None
                return
            frame = self.refs.frame(values)
            lpar.shared_pool = self.refs.pools().get((frame.name, name))
            if lpar.shared_pool is None:
                raise RowProblem("shared_pool", f"no shared pool {name} on frame {frame.name}")

        spec = sheet.spec
        stub = {"stub_of", "stub_of_frame"}
        new, changed = self.match(sheet)
        setters = {"frame": self._set_frame, "shared_pool": pool}
        new = [p for p in new if self.assign(spec, p, setters, stub)]
        changed = [p for p in changed if self.assign(spec, p, setters, stub)]
        # A twin points at an LPAR that may come later in the same sheet: link it once all
        # LPARs are saved.
        twins = [p for p in new + changed if stub & set(p.changed)]
        saved = self.write(spec, new, [p.without(stub) for p in changed if p.without(stub)])
        refused = self.rows_with_problems(spec)
        counted = {p.number for p in saved[1]}
        self.refs.forget("lpars")
        linked = []
        for pending in twins:
            if pending.number in refused:
                continue
            values = pending.values
            try:
                original = self.refs.lpar(values, "stub_of", "stub_of_frame")
            except RowProblem as problem:
                self.problem(spec, pending.number, problem.key, problem.message)
                continue
            lpar = self.refs.lpars()[(pending.instance.frame.name, pending.instance.name)]
            lpar.stub_of = original
            linked.append(_Pending(pending.number, values, lpar, ["stub_of"], pending.current))
        done, refused_links = objects_bulk_change(
            instances=[p.instance for p in linked], fields=["stub_of"], history=self.history
        )
        by_instance = {id(p.instance): p for p in linked}
        for instance, error in refused_links:
            self.refused(spec, by_instance[id(instance)], error)
        for instance in done:
            pending = by_instance[id(instance)]
            if pending.current is not None and pending.number not in counted:
                self.report.sheets[spec.title].updated += 1
                self.record_change(spec, pending)
        self.refs.forget("lpars")

    def rows_with_problems(self, spec: c.SheetSpec) -> set[int]:
        return {p.row for p in self.report.problems if p.sheet == spec.title and p.row}

    def _slot(self, sheet: ParsedSheet) -> None:
        spec = sheet.spec

        def drawer(slot: Slot, values: dict) -> None:
            frame = self.refs.frame(values)
            found = self.refs.drawers().get((frame.name, values["drawer"]))
            if found is None:
                raise RowProblem("drawer", f"no drawer {values['drawer']} on frame {frame.name}")
            slot.drawer = found

        adapter_keys = set(ADAPTER_FIELDS)
        setters = {"frame": drawer, "drawer": drawer}
        new, changed = self.match(sheet)
        slot_new = [p for p in new if self.assign(spec, p, setters, adapter_keys)]
        slot_changed = [p.without(adapter_keys) for p in changed if p.without(adapter_keys)]
        slot_changed = [p for p in slot_changed if self.assign(spec, p, setters)]
        _, done = self.write(spec, slot_new, slot_changed, {"location": "slot"})
        self.refs.forget("adapters")
        refused = self.rows_with_problems(spec)
        self._adapters(
            spec, [p for p in new + changed if p.number not in refused], {p.number for p in done}
        )
        self.refs.forget("adapters", "ports")

    def _adapters(self, spec: c.SheetSpec, rows: list[_Pending], counted: set[int]) -> None:
        """The adapter half of the Slots and adapters sheet, once the slots are saved."""
        slots = {
            (s.drawer.frame.name, s.drawer.location, s.location): s
            for s in Slot.objects.select_related("drawer__frame")
        }
        stored = self.refs.adapters()
        create, update = [], []
        for pending in rows:
            values = pending.values
            keys = (values["frame"], values["drawer"], values["slot"])
            adapter = stored.get(keys)
            wanted = [k for k in ADAPTER_FIELDS if k in values]
            if adapter is None:
                if not values.get("adapter_kind"):
                    continue
                adapter = Adapter(slot=slots[keys])
                wanted = [k for k in wanted if values[k] not in ("", None)]
            elif "adapter_kind" in values and not values["adapter_kind"]:
                self.problem(
                    spec,
                    pending.number,
                    "adapter_kind",
                    "the slot holds an adapter; an import never removes one (delete "
                    "it in the inventory)",
                )
                continue
            else:
                wanted = [k for k in wanted if values[k] != pending.current[k]]
                if not wanted:
                    continue
            try:
                for key in wanted:
                    if key == "owner":
                        adapter.owner = self.refs.lpar(values, "owner")
                    else:
                        setattr(adapter, ADAPTER_FIELDS[key], values[key])
            except RowProblem as problem:
                self.problem(spec, pending.number, problem.key, problem.message)
                continue
            item = _Pending(pending.number, values, adapter, wanted, pending.current)
            (update if adapter.pk else create).append(item)
        names = {model: key for key, model in ADAPTER_FIELDS.items()} | {"slot": "slot"}
        by_instance = {id(p.instance): p for p in create + update}
        done, refused = objects_bulk_create(
            instances=[p.instance for p in create], history=self.history
        )
        fields = sorted({ADAPTER_FIELDS[k] for p in update for k in p.changed})
        saved, refused_changes = objects_bulk_change(
            instances=[p.instance for p in update], fields=fields, history=self.history
        )
        for instance, error in refused + refused_changes:
            self.refused(spec, by_instance[id(instance)], error, names)
        # A row counts once: an adapter added to a stored slot, or changed, changes the row.
        for instance in [*done, *saved]:
            pending = by_instance[id(instance)]
            if pending.current is not None and pending.number not in counted:
                counted.add(pending.number)
                self.report.sheets[spec.title].updated += 1
                self.record_change(spec, pending)

    def _port(self, sheet: ParsedSheet) -> None:
        spec = sheet.spec

        def adapter(port: Port, values: dict) -> None:
            frame = self.refs.frame(values)
            found = self.refs.adapters().get((frame.name, values["drawer"], values["slot"]))
            if found is None:
                where = f"{values['drawer']}-{values['slot']}"
                raise RowProblem("slot", f"no adapter in slot {where} of frame {frame.name}")
            port.adapter = found

        wwpn = {"wwpn", "fabric"}
        setters = {"frame": adapter, "drawer": adapter, "slot": adapter}
        new, changed = self.match(sheet)
        new = [p for p in new if self.assign(spec, p, setters, wwpn)]
        changed = [p for p in changed if self.assign(spec, p, setters, wwpn)]
        with_wwpn = [p for p in new if p.values.get("wwpn")]
        with_wwpn += [p for p in changed if wwpn & set(p.changed)]
        only_wwpn = {p.number for p in changed if not p.without(wwpn)}
        self.write(
            spec, new, [p.without(wwpn) for p in changed if p.without(wwpn)], {"adapter": "slot"}
        )
        refused = self.rows_with_problems(spec)
        for pending in with_wwpn:
            if pending.number in refused:
                continue
            values = pending.values
            try:
                kwargs = (
                    {"fabric": self.refs.fabric(values, "fabric")} if "fabric" in values else {}
                )
                port_wwpn_set(port=pending.instance, value=values.get("wwpn") or None, **kwargs)
            except RowProblem as problem:
                self.problem(spec, pending.number, problem.key, problem.message)
            except ValidationError as error:
                self.refused(spec, pending, error)
            else:
                if pending.number in only_wwpn:
                    self.report.sheets[spec.title].updated += 1
                    self.record_change(spec, pending)
        self.refs.forget("ports")

    def _storageport(self, sheet: ParsedSheet) -> None:
        spec = sheet.spec

        def fabric(port: StoragePort, values: dict) -> None:
            port.fabric = self.refs.fabric(values, "fabric")

        new, changed = self.match(sheet)
        new = [p for p in new if self.assign(spec, p, {"fabric": fabric}, {"wwpn"})]
        changed = [p for p in changed if self.assign(spec, p, {"fabric": fabric}, {"wwpn"})]
        follow = [p for p in new if p.values.get("wwpn")]
        follow += [p for p in changed if {"wwpn", "fabric"} & set(p.changed)]
        only_wwpn = {p.number for p in changed if not p.without({"wwpn"})}
        self.write(spec, new, [p.without({"wwpn"}) for p in changed if p.without({"wwpn"})])
        refused = self.rows_with_problems(spec)
        for pending in follow:
            if pending.number in refused:
                continue
            values = pending.values
            value = values["wwpn"] if "wwpn" in values else pending.current["wwpn"]
            try:
                if value:
                    storage_port_wwpn_set(storage_port=pending.instance, value=value)
                else:
                    for row in Wwpn.objects.filter(storage_port=pending.instance):
                        row.delete()
            except ValidationError as error:
                self.refused(spec, pending, error)
            else:
                if pending.number in only_wwpn:
                    self.report.sheets[spec.title].updated += 1
                    self.record_change(spec, pending)

    def _virtualadapter(self, sheet: ParsedSheet) -> None:
        spec = sheet.spec
        refs = self.refs

        def lpar(adapter: VirtualAdapter, values: dict) -> None:
            adapter.lpar = refs.lpar(values, "lpar")

        def remote(adapter: VirtualAdapter, values: dict) -> None:
            adapter.remote_lpar = refs.lpar(values, "remote_lpar")

        def pvid(adapter: VirtualAdapter, values: dict) -> None:
            adapter.pvid = refs.vlan(values["pvid"], "pvid")

        def port(adapter: VirtualAdapter, values: dict) -> None:
            name = values["physical_port"]
            if not name:
                adapter.physical_port = None
                return
            frame = refs.frame(values)
            adapter.physical_port = refs.ports().get((frame.name, name))
            if adapter.physical_port is None:
                raise RowProblem("physical_port", f"no port {name} on frame {frame.name}")

        setters = {
            "frame": lpar,
            "lpar": lpar,
            "remote_lpar": remote,
            "pvid": pvid,
            "physical_port": port,
        }
        extras = {"vlans", "wwpn1", "wwpn2", "fabric1", "fabric2"}
        new, changed = self.match(sheet)
        new = [p for p in new if self.assign(spec, p, setters, extras)]
        changed = [p for p in changed if self.assign(spec, p, setters, extras)]
        new = [p for p in new if self._extras_resolve(spec, p) and self._pair_given(spec, p)]
        changed = [p for p in changed if self._extras_resolve(spec, p)]
        with_extras = [p for p in changed if extras & set(p.changed)]
        only_extras = {p.number for p in changed if not p.without(extras)}
        names = {"wwpns": "wwpn1", "wwpn_fabrics": "fabric1"}
        done_new, _ = self.write(
            spec, new, [p.without(extras) for p in changed if p.without(extras)], names
        )
        virtual_adapters_vlans_add(
            tagged=[(p.instance, p.tagged) for p in done_new], history=self.history
        )
        pairs = [
            (
                p,
                Wwpn(
                    virtual_adapter=p.instance,
                    value=p.values[f"wwpn{n}"],
                    position=n,
                    fabric=p.fabrics[n - 1],
                ),
            )
            for p in done_new
            if p.values.get("wwpn1")
            for n in (1, 2)
        ]
        owner = {id(row): pending for pending, row in pairs}
        _, refused = objects_bulk_create(instances=[row for _, row in pairs], history=self.history)
        for row, error in refused:
            for messages in error.message_dict.values():
                for message in messages:
                    self.problem(
                        spec,
                        owner[id(row)].number,
                        f"wwpn{row.position}",
                        f"{row.value}: {message}",
                    )
        refused_rows = self.rows_with_problems(spec)
        for pending in with_extras:
            if pending.number in refused_rows:
                continue
            try:
                self._extras_save(pending)
            except ValidationError as error:
                self.refused(spec, pending, error, names)
            else:
                if pending.number in only_extras:
                    self.report.sheets[spec.title].updated += 1
                    self.record_change(spec, pending)

    def _extras_resolve(self, spec: c.SheetSpec, pending: _Pending) -> bool:
        """The tagged VLANs and the WWPN fabrics of a virtual adapter row, as objects."""
        values, current = pending.values, pending.current or {}
        try:
            pending.tagged = [self.refs.vlan(n, "vlans") for n in values.get("vlans", [])]
            pending.fabrics = [
                self.refs.fabric(values if key in values else current, key)
                for key in ("fabric1", "fabric2")
            ]
        except RowProblem as problem:
            self.problem(spec, pending.number, problem.key, problem.message)
            return False
        return True

    def _pair_given(self, spec: c.SheetSpec, pending: _Pending) -> bool:
        values, adapter = pending.values, pending.instance
        pair = [values.get("wwpn1", ""), values.get("wwpn2", "")]
        is_client = VirtualAdapter.vfc_client(
            adapter.kind, adapter.role or VirtualAdapterRole.CLIENT
        )
        if is_client and not all(pair):
            self.problem(spec, pending.number, "wwpn1", "a vFC client adapter needs its two WWPNs")
            return False
        if not is_client and any(pair):
            self.problem(spec, pending.number, "wwpn1", "only a vFC client adapter has a WWPN pair")
            return False
        return True

    @staticmethod
    def _extras_save(pending: _Pending) -> None:
        adapter, values, current = pending.instance, pending.values, pending.current
        if "vlans" in pending.changed:
            if pending.tagged and adapter.kind != VirtualAdapterKind.ETHERNET:
                raise ValidationError({"vlans": "Only Ethernet adapters carry tagged VLANs."})
            adapter.vlans.set(pending.tagged)
        if {"wwpn1", "wwpn2", "fabric1", "fabric2"} & set(pending.changed):
            wwpns = [values.get(k, current[k]) for k in ("wwpn1", "wwpn2")]
            vfc_wwpns_set(adapter=adapter, wwpns=wwpns, fabrics=pending.fabrics)


# What the models' clean() reads of their related rows: loaded with the batch, not per row.
RELATED = {
    Lpar: (("frame", "shared_pool__frame", "stub_of__frame"), ()),
    Adapter: (("slot", "owner"), ()),
    Port: (("adapter",), ()),
    VirtualAdapter: ((), ("wwpns",)),
}


def _stored_instances(
    model: type[models.Model], pks: list[int], refs: "_References", lookups: SlotRuleLookups
) -> dict[int, models.Model]:
    """The stored rows of `pks`, their references from `refs`; a virtual adapter's stored slot,
    kind and LPAR go to `lookups` for the slot rule to compare with."""
    joined, prefetched = RELATED.get(model, ((), ()))
    if model is VirtualAdapter:
        joined = ("physical_port__adapter",)  # the LPARs come from the references
    rows = model._default_manager.select_related(*joined).prefetch_related(*prefetched)
    found = {}
    for start in range(0, len(pks), 2000):
        found.update(rows.in_bulk(pks[start : start + 2000]))
    if model is VirtualAdapter:
        lpars = {lpar.pk: lpar for lpar in refs.lpars().values()}
        for adapter in found.values():
            adapter.lpar = lpars[adapter.lpar_id]
            if adapter.remote_lpar_id:
                adapter.remote_lpar = lpars[adapter.remote_lpar_id]
            lookups.stored[adapter.pk] = (adapter.slot, adapter.kind, adapter.lpar_id)
    return found


def _field(spec: c.SheetSpec, key: str) -> str | None:
    """The model field a column key writes (None for columns written apart)."""
    mapping = {
        "Slots and adapters": {"frame": "drawer", "drawer": "drawer", "slot": "location"},
        "Ports and WWPNs": {"frame": "adapter", "drawer": "adapter", "slot": "adapter"},
        "LPARs": {"stub_of_frame": None, "stub_of": None},
        "Virtual adapters": {"frame": "lpar"},
    }.get(spec.title, {})
    if key in mapping:
        return mapping[key]
    return key


def workbook_apply(
    parsed: ParsedWorkbook, *, commit: bool, progress: Progress | None = None
) -> ImportReport:
    """Apply the workbook in one transaction; keep it only when `commit` and nothing is wrong."""
    with transaction.atomic():
        report = ImportRun(parsed, progress=progress, history=commit).run()
        report.committed = commit and not report.problems
        if not report.committed:
            transaction.set_rollback(True)
    return report
