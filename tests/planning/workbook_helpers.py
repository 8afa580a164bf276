"""Helpers of the workbook tests: workbooks in memory, and the estate as natural-key rows."""

import io
import json

from django.apps import apps
from django.db import models
from openpyxl import Workbook, load_workbook

from inventory.models import (
    Adapter,
    Drawer,
    Frame,
    Hmc,
    Lpar,
    Port,
    SharedProcessorPool,
    Slot,
    StoragePort,
    VirtualAdapter,
    Wwpn,
)
from planning.models import FrameScheme, PlannedServerAdapter, SlotReservation


def natural_key(obj: models.Model | None) -> object:
    """How a planner names the row, independent of database ids."""
    if obj is None:
        return None
    match obj:
        case Frame() | Hmc():
            return obj.name
        case Drawer():
            return [obj.frame.name, obj.location]
        case Slot():
            return [*natural_key(obj.drawer), obj.location]
        case Adapter():
            return natural_key(obj.slot)
        case Port():
            return [*natural_key(obj.adapter), obj.name]
        case SharedProcessorPool():
            return [obj.frame.name, obj.pool_id]
        case Lpar():
            return [obj.frame.name, obj.name]
        case VirtualAdapter():
            return [*natural_key(obj.lpar), obj.slot]
        case StoragePort():
            return [obj.array, obj.name]
        case Wwpn():
            return obj.value
    return getattr(obj, "vlan_id", None) or obj.name


def estate_dump() -> dict[str, list[str]]:
    """Every inventory row (HMCs aside) as its fields with related rows by natural key, sorted:
    two estates are the same when their dumps are equal."""
    dump = {}
    for model in apps.get_app_config("inventory").get_models():
        if model is Hmc or model._meta.model_name.startswith("historical"):
            continue
        rows = []
        for obj in model.objects.all():
            row = {}
            for field in model._meta.concrete_fields:
                if field.primary_key:
                    continue
                value = getattr(obj, field.name)
                row[field.name] = natural_key(value) if field.is_relation else value
            if model is VirtualAdapter:
                row["vlans"] = sorted(v.vlan_id for v in obj.vlans.all())
            rows.append(json.dumps(row, default=str, sort_keys=True))
        dump[model._meta.model_name] = sorted(rows)
    return dump


def inventory_empty() -> None:
    """Remove the whole estate but the HMCs, and the planning rows that hang on it."""
    for model in (
        PlannedServerAdapter,
        SlotReservation,
        FrameScheme,
        VirtualAdapter,
        Wwpn,
        Port,
        Adapter,
        Slot,
        Drawer,
    ):
        model.objects.all().delete()
    Lpar.objects.update(stub_of=None)
    for model in (Lpar, SharedProcessorPool, Frame, StoragePort):
        model.objects.all().delete()
    for name in ("Fabric", "Vlan"):
        apps.get_model("inventory", name).objects.all().delete()


def book_of(content: bytes) -> Workbook:
    return load_workbook(io.BytesIO(content))


def saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cell_of(sheet, header: str, **match) -> object:
    """The cell under `header` in the first row whose columns hold `match` ({header: value})."""
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        values = {h: c.value for h, c in zip(headers, row, strict=False)}
        if all(values.get(h) == v for h, v in match.items()):
            return row[headers.index(header)]
    raise KeyError(match)


def one_sheet_book(title: str, rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    return saved(book)
