"""Every inventory collection under /api/ lists, reads, creates, changes and deletes its rows.

One declarative case per collection: an existing row, a body that creates another, a change.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.db import models

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
from tests.factories import (
    AdapterFactory,
    DrawerFactory,
    FabricFactory,
    FrameFactory,
    HmcFactory,
    LparFactory,
    PortFactory,
    SharedProcessorPoolFactory,
    SlotFactory,
    StoragePortFactory,
    ViosFactory,
    VirtualAdapterFactory,
    VlanFactory,
    login,
    wwpn_create,
)

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    path: str
    model: type[models.Model]
    make: Callable[[], models.Model]
    change: Callable[[], dict[str, Any]]
    create: Callable[[], dict[str, Any]] | None = None
    # What the API reads back where it differs from what was written.
    reads_back: dict[str, Any] = field(default_factory=dict)


def vscsi_client_body() -> dict[str, Any]:
    lpar = LparFactory()
    vios = ViosFactory(frame=lpar.frame)
    return {
        "lpar": lpar.pk,
        "kind": "vscsi",
        "role": "client",
        "slot": 210,
        "remote_lpar": vios.pk,
        "remote_slot": 210,
    }


CASES = [
    Case(
        "hmcs",
        Hmc,
        HmcFactory,
        lambda: {"version": "V10R3"},
        lambda: {"name": "hmc-new", "host": "10.1.1.1", "password": "s3cret!"},
    ),
    Case(
        "frames",
        Frame,
        FrameFactory,
        lambda: {"firmware_level": "AL730_152"},
        lambda: {
            "name": "p750-new",
            "machine_type": "8233",
            "model": "E8B",
            "serial": "0612345",
            "hmc": HmcFactory().pk,
            "proc_units": 16.5,
            "memory_mb": 131072,
        },
    ),
    Case(
        "drawers",
        Drawer,
        DrawerFactory,
        lambda: {"position": "top"},
        lambda: {"frame": FrameFactory().pk, "location": "U78A0.001.DNWHZ1A", "kind": "io"},
    ),
    Case(
        "slots",
        Slot,
        SlotFactory,
        lambda: {"description": "8Gb FC"},
        lambda: {"drawer": DrawerFactory().pk, "location": "P1-C9", "drc_index": "2101"},
    ),
    Case(
        "adapters",
        Adapter,
        AdapterFactory,
        lambda: {"feature_code": "EN0A"},
        lambda: {"slot": SlotFactory().pk, "kind": "ethernet", "feature_code": "5717"},
    ),
    Case(
        "ports",
        Port,
        PortFactory,
        lambda: {"switch_port": "sw1/12"},
        lambda: {
            "adapter": AdapterFactory().pk,
            "name": "T2",
            "wwpn": "10:00:00:00:C9:12:34:56",
            "fabric": FabricFactory().pk,
        },
        reads_back={"wwpn": "10000000c9123456"},
    ),
    Case(
        "vlans",
        Vlan,
        VlanFactory,
        lambda: {"name": "backup"},
        lambda: {"vlan_id": 400, "name": "prod"},
    ),
    Case(
        "fabrics",
        Fabric,
        FabricFactory,
        lambda: {"zoneset_name": "cfg_new"},
        lambda: {
            "name": "FAB_NEW",
            "side": "B",
            "vendor": "cisco",
            "vsan": 20,
            "zoneset_name": "zs_b",
        },
    ),
    Case(
        "storage-ports",
        StoragePort,
        StoragePortFactory,
        lambda: {"name": "n2p2"},
        lambda: {
            "array": "fs9k1",
            "name": "n2p1",
            "fabric": FabricFactory().pk,
            "wwpn": "50-05-07-68-01-23-45-67",
        },
        reads_back={"wwpn": "5005076801234567"},
    ),
    Case(
        "shared-pools",
        SharedProcessorPool,
        SharedProcessorPoolFactory,
        lambda: {"name": "db2"},
        lambda: {"frame": FrameFactory().pk, "pool_id": 5, "name": "oracle"},
    ),
    Case(
        "lpars",
        Lpar,
        LparFactory,
        lambda: {"memory_mb": 8192},
        lambda: {
            "frame": FrameFactory().pk,
            "name": "server9",
            "lpar_id": 90,
            "kind": "aix",
            "proc_units": 1.5,
            "virtual_procs": 2,
            "memory_mb": 4096,
        },
    ),
    Case(
        "virtual-adapters",
        VirtualAdapter,
        VirtualAdapterFactory,
        lambda: {"device_name": "vscsi0"},
        vscsi_client_body,
    ),
    Case(
        "wwpns",
        Wwpn,
        lambda: wwpn_create(port=PortFactory()),
        lambda: {"fabric": FabricFactory().pk},
    ),
]
CREATABLE = [case for case in CASES if case.create]


def case_id(case: Case) -> str:
    return case.path


def plain(value: Any) -> Any:
    """A related object as written: its id."""
    return value["id"] if isinstance(value, dict) and "id" in value else value


@pytest.fixture
def api(api_client, planner):
    login(api_client, planner)
    return api_client


def test_every_inventory_model_has_a_collection():
    models_ = {
        model
        for model in apps.get_app_config("inventory").get_models()
        if not model._meta.model_name.startswith("historical")
    }
    assert {case.model for case in CASES} == models_


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_list_is_paginated_and_holds_the_row(api, case):
    obj = case.make()
    response = api.get(f"/api/{case.path}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert obj.pk in [row["id"] for row in body["results"]]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_detail_reads_the_row_with_its_link_and_name(api, case):
    obj = case.make()
    response = api.get(f"/api/{case.path}/{obj.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == obj.pk
    assert body["url"] == f"http://testserver/api/{case.path}/{obj.pk}/"
    assert body["display"] == str(obj)


@pytest.mark.parametrize("case", CREATABLE, ids=case_id)
def test_create_saves_the_row_and_answers_with_it(api, case):
    body = case.create()
    response = api.post(f"/api/{case.path}/", body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert case.model.objects.filter(pk=created["id"]).exists()
    expected = {**body, **case.reads_back}
    expected.pop("password", None)
    assert {name: plain(created[name]) for name in expected} == expected
    assert api.get(f"/api/{case.path}/{created['id']}/").json() == created


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_patch_changes_the_field_and_keeps_the_rest(api, case):
    obj = case.make()
    before = api.get(f"/api/{case.path}/{obj.pk}/").json()
    change = case.change()
    response = api.patch(f"/api/{case.path}/{obj.pk}/", change, format="json")
    assert response.status_code == 200, response.json()
    after = api.get(f"/api/{case.path}/{obj.pk}/").json()
    assert {name: plain(after[name]) for name in change} == change
    changed = set(change) | {"display"}
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }


@pytest.mark.parametrize("case", CREATABLE, ids=case_id)
def test_delete_removes_the_row(api, case):
    obj = case.make()
    response = api.delete(f"/api/{case.path}/{obj.pk}/")
    assert response.status_code == 204
    assert not case.model.objects.filter(pk=obj.pk).exists()
    assert api.get(f"/api/{case.path}/{obj.pk}/").status_code == 404


def test_wwpns_are_created_and_removed_with_their_owner_not_directly(api):
    wwpn = wwpn_create(port=PortFactory())
    assert api.post("/api/wwpns/", {"value": "c050760000000001"}).status_code == 405
    assert api.delete(f"/api/wwpns/{wwpn.pk}/").status_code == 405
    assert Wwpn.objects.filter(pk=wwpn.pk).exists()


def test_put_replaces_the_row(api):
    vlan = VlanFactory(vlan_id=300, name="old")
    response = api.put(f"/api/vlans/{vlan.pk}/", {"vlan_id": 301, "name": "new"}, format="json")
    assert response.status_code == 200
    vlan.refresh_from_db()
    assert (vlan.vlan_id, vlan.name) == (301, "new")


def test_an_unknown_id_is_404(api):
    response = api.get("/api/frames/999999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Frame matches the given query."}


def test_the_api_root_links_every_collection(api):
    links = api.get("/api/").json()
    paths = [case.path for case in CASES]
    assert {path: links[path] for path in paths} == {
        path: f"http://testserver/api/{path}/" for path in paths
    }
