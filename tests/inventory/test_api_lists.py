"""Inventory lists over the API: filters named after fields, `q`, ordering, limit/offset pages,
and a fixed number of queries however many rows a list holds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.identifiers import wwpn_colon
from inventory.models import Lpar, VirtualAdapter
from inventory.services import virtual_adapter_save
from tests.factories import (
    AdapterFactory,
    FabricFactory,
    FrameFactory,
    LparFactory,
    PortFactory,
    SharedProcessorPoolFactory,
    ViosFactory,
    VirtualAdapterFactory,
    VlanFactory,
    login,
    vfc_client_create,
)
from tests.inventory.test_api_crud import CASES, case_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_client, planner):
    login(api_client, planner)
    return api_client


@pytest.fixture
def estate():
    """Two p750s: server1 (id 10) and server2 (id 11) with VIOS 1 on p750-a, server3 on p750-b."""
    a, b = FrameFactory(name="p750-a"), FrameFactory(name="p750-b")
    return {
        "a": a,
        "b": b,
        "vios": ViosFactory(frame=a, name="vios1", lpar_id=1),
        "server1": LparFactory(frame=a, name="server1", lpar_id=10),
        "server2": LparFactory(frame=a, name="server2", lpar_id=11, kind="linux"),
        "server3": LparFactory(frame=b, name="server3", lpar_id=12),
    }


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


def test_filter_by_frame_id(api, estate):
    assert sorted(names(api.get(f"/api/lpars/?frame={estate['b'].pk}"))) == ["server3"]


def test_filter_by_frame_name(api, estate):
    assert sorted(names(api.get("/api/lpars/?frame__name=p750-a"))) == [
        "server1",
        "server2",
        "vios1",
    ]


def test_filter_by_name_and_kind(api, estate):
    assert names(api.get("/api/lpars/?name=server1")) == ["server1"]
    assert names(api.get("/api/lpars/?kind=vios")) == ["vios1"]
    assert names(api.get("/api/lpars/?kind=linux&frame__name=p750-a")) == ["server2"]


def test_free_text_search(api, estate):
    assert sorted(names(api.get("/api/lpars/?q=SERVER"))) == ["server1", "server2", "server3"]
    assert sorted(names(api.get("/api/lpars/?q=p750-b"))) == ["server3"]
    assert names(api.get("/api/frames/?q=750-a")) == ["p750-a"]


def test_an_invalid_filter_value_is_a_400_naming_the_filter(api, estate):
    response = api.get("/api/lpars/?kind=zos")
    assert response.status_code == 400
    assert list(response.json()) == ["kind"]


def test_virtual_adapters_by_vlan_and_by_wwpn(api, estate):
    VlanFactory(vlan_id=400)
    ethernet = virtual_adapter_save(
        adapter=VirtualAdapter(lpar=estate["server1"], kind="ethernet", slot=10, pvid_id=400)
    )
    vfc = vfc_client_create(estate["server2"], 610, estate["vios"])
    wwpn = vfc.wwpns.get(position=2).value
    assert [row["id"] for row in api.get("/api/virtual-adapters/?vlan=400").json()["results"]] == [
        ethernet.pk
    ]
    spelled = wwpn_colon(wwpn).upper()
    found = api.get(f"/api/virtual-adapters/?wwpn={spelled}").json()["results"]
    assert [row["id"] for row in found] == [vfc.pk]
    found = api.get("/api/virtual-adapters/?frame__name=p750-a&kind=vfc").json()["results"]
    assert [row["id"] for row in found] == [vfc.pk]


def test_ordering(api, estate):
    assert names(api.get("/api/lpars/?ordering=-lpar_id")) == [
        "server3",
        "server2",
        "server1",
        "vios1",
    ]
    assert names(api.get("/api/lpars/?ordering=-frame__name,name")) == [
        "server3",
        "server1",
        "server2",
        "vios1",
    ]


def test_the_default_order_is_frame_then_lpar_id(api, estate):
    assert names(api.get("/api/lpars/")) == ["vios1", "server1", "server2", "server3"]


def test_pages_by_limit_and_offset(api, estate):
    body = api.get("/api/lpars/?limit=2&offset=1").json()
    assert body["count"] == 4
    assert [row["name"] for row in body["results"]] == ["server1", "server2"]
    assert body["next"] == "http://testserver/api/lpars/?limit=2&offset=3"
    assert body["previous"] == "http://testserver/api/lpars/?limit=2"
    last = api.get(body["next"]).json()
    assert ([row["name"] for row in last["results"]], last["next"]) == (["server3"], None)


# Query counts: a list costs the same number of queries for 3 rows as for 30.


def list_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def lpars_add(count: int) -> None:
    frame = FrameFactory()
    pool = SharedProcessorPoolFactory(frame=frame)
    for _ in range(count):
        original = LparFactory(frame=frame, shared_pool=pool)
        LparFactory(stub_of=original)


def virtual_adapters_add(count: int) -> None:
    lpar = LparFactory()
    vios = ViosFactory(frame=lpar.frame)
    vlans = [VlanFactory(), VlanFactory()]
    port = PortFactory(adapter=AdapterFactory(owner=vios, slot__drawer__frame=lpar.frame))
    for n in range(count):
        vfc_client_create(lpar, 600 + n, vios)
        VirtualAdapterFactory(
            lpar=vios,
            kind="vfc",
            role="server",
            slot=600 + n,
            remote_lpar=lpar,
            remote_slot=600 + n,
            physical_port=port,
        )
        virtual_adapter_save(
            adapter=VirtualAdapter(lpar=lpar, kind="ethernet", slot=10 + n, pvid=vlans[0]),
            vlans=vlans[1:],
        )


@pytest.mark.parametrize(
    ("path", "add", "pinned"),
    # One of these is the session's second-factor device, which django-otp reads per request.
    [("/api/lpars/", lpars_add, 7), ("/api/virtual-adapters/", virtual_adapters_add, 9)],
)
def test_a_list_costs_a_fixed_number_of_queries(client, planner, path, add, pinned):
    login(client, planner)
    add(1)
    few = list_queries(client, path)
    add(15)
    many = list_queries(client, path)
    assert client.get(path).json()["count"] >= 30
    assert (few, many) == (pinned, pinned)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_no_list_grows_its_queries_with_its_rows(client, planner, case):
    login(client, planner)
    case.make()
    few = list_queries(client, f"/api/{case.path}/")
    for _ in range(5):
        case.make()
    assert list_queries(client, f"/api/{case.path}/") == few


def test_the_fabric_filter_on_ports_and_wwpns(api):
    fabric = FabricFactory(name="FAB_A")
    port = PortFactory()
    api.patch(
        f"/api/ports/{port.pk}/", {"wwpn": "10000000c9000001", "fabric": fabric.pk}, format="json"
    )
    PortFactory()
    found = api.get("/api/wwpns/?fabric__name=FAB_A").json()["results"]
    assert [row["value"] for row in found] == ["10000000c9000001"]
    found = api.get("/api/wwpns/?value=10:00:00:00:C9:00:00:01").json()["results"]
    assert [row["port"]["id"] for row in found] == [port.pk]


def test_a_list_ordered_by_a_field_with_equal_values_pages_through_every_row_once(api):
    """Ordered by frame, the LPARs of a frame are equal in that field: the primary key orders
    them after it, so paging through with limit/offset shows every LPAR once (none on two
    pages, none on neither), whatever order the database gives equal keys on each query."""
    frames = [FrameFactory(name=f"p10-{n}") for n in range(2)]
    LparFactory.create_batch(120, frame=frames[0])
    LparFactory.create_batch(80, frame=frames[1])
    for ordering in ("frame__name", "-frame__name", "state,-frame__name"):
        shown: list[int] = []
        url = f"/api/lpars/?ordering={ordering}&limit=30"
        while url:
            body = api.get(url).json()
            shown += [row["id"] for row in body["results"]]
            url = body["next"]
        assert len(shown) == 200, ordering
        assert set(shown) == set(Lpar.objects.values_list("pk", flat=True)), ordering
        # and the order of equal rows is the key's, as a client can rely on
        first = set(frames[0].lpars.values_list("pk", flat=True))
        by_frame = [pk for pk in shown if pk in first]
        assert by_frame == sorted(by_frame), ordering


def test_an_ordering_by_the_key_itself_is_kept_as_asked(api, estate):
    assert names(api.get("/api/lpars/?ordering=-id")) == ["server3", "server2", "server1", "vios1"]
