"""Who may do what through the inventory API: the roles as in the browser, for session and
token users alike; and an HMC's password never leaves the server."""

import pytest
from rest_framework.test import APIClient

from inventory.models import Fabric, Frame, Hmc, Vlan
from tests.factories import (
    PASSWORD,
    FabricFactory,
    FrameFactory,
    HmcFactory,
    LparFactory,
    PortFactory,
    StoragePortFactory,
    VlanFactory,
    login,
    user_create,
    wwpn_create,
)

pytestmark = pytest.mark.django_db

COLLECTIONS = [
    "hmcs",
    "frames",
    "drawers",
    "slots",
    "adapters",
    "ports",
    "vlans",
    "fabrics",
    "storage-ports",
    "shared-pools",
    "lpars",
    "virtual-adapters",
    "wwpns",
]


def signed_in(role: str) -> APIClient:
    client = APIClient()
    login(client, user_create(role.lower().replace(" ", "-"), role=role))
    return client


@pytest.mark.parametrize("role", ["Viewer", "Operator", "SAN admin", "Planner"])
def test_every_role_reads_every_collection(role):
    client = signed_in(role)
    assert {path: client.get(f"/api/{path}/").status_code for path in COLLECTIONS} == {
        path: 200 for path in COLLECTIONS
    }


@pytest.mark.parametrize("role", ["Viewer", "Operator"])
def test_readers_change_nothing(role):
    client = signed_in(role)
    frame = FrameFactory()
    fabric = FabricFactory()
    assert client.post("/api/fabrics/", {"name": "FAB_X"}, format="json").status_code == 403
    assert client.patch(f"/api/frames/{frame.pk}/", {"name": "x"}, format="json").status_code == (
        403
    )
    assert client.delete(f"/api/fabrics/{fabric.pk}/").status_code == 403
    assert Frame.objects.get(pk=frame.pk).name == frame.name
    assert Fabric.objects.filter(pk=fabric.pk).exists()


def test_a_viewers_post_is_refused_with_a_403_that_says_so():
    response = signed_in("Viewer").post("/api/lpars/", {"name": "server9"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}


def test_a_san_admin_edits_fabrics_storage_ports_and_wwpns():
    client = signed_in("SAN admin")
    fabric = FabricFactory()
    response = client.patch(f"/api/fabrics/{fabric.pk}/", {"zoneset_name": "cfg_b"}, format="json")
    assert response.status_code == 200
    body = {"array": "fs9k1", "name": "n1p9", "fabric": fabric.pk, "wwpn": "5005076801239999"}
    assert client.post("/api/storage-ports/", body, format="json").status_code == 201
    wwpn = wwpn_create(port=PortFactory())
    response = client.patch(f"/api/wwpns/{wwpn.pk}/", {"fabric": fabric.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["fabric"]["id"] == fabric.pk


def test_a_san_admin_does_not_edit_partitions_or_hardware():
    client = signed_in("SAN admin")
    lpar = LparFactory()
    port = PortFactory()
    response = client.patch(f"/api/lpars/{lpar.pk}/", {"memory_mb": 1}, format="json")
    assert response.status_code == 403
    # A port's WWPN is part of the port: the hardware is the planners'.
    response = client.patch(f"/api/ports/{port.pk}/", {"wwpn": "10000000c9000001"}, format="json")
    assert response.status_code == 403
    assert client.delete(f"/api/vlans/{VlanFactory().pk}/").status_code == 403
    lpar.refresh_from_db()
    assert lpar.memory_mb == 2048


def test_an_operator_does_not_edit_the_inventory():
    client = signed_in("Operator")
    storage_port = StoragePortFactory()
    response = client.patch(
        f"/api/storage-ports/{storage_port.pk}/", {"name": "n0p0"}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/api/lpars/", "/api/virtual-adapters/1/", "/api/wwpns/"])
def test_anonymous_callers_are_asked_to_sign_in(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert api_client.post("/api/frames/", {}, format="json").status_code == 401


def test_a_token_user_works_with_the_api_and_is_credited_in_the_history(api_client, planner):
    token = api_client.post(
        "/api/auth/token/", {"username": planner.username, "password": PASSWORD}, format="json"
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api_client.post("/api/vlans/", {"vlan_id": 400, "name": "prod"}, format="json")
    assert response.status_code == 201
    response = api_client.patch(
        f"/api/vlans/{response.json()['id']}/", {"name": "production"}, format="json"
    )
    assert response.status_code == 200
    vlan_history = Vlan.history.order_by("history_date")
    assert [(h.name, h.history_type, h.history_user) for h in vlan_history] == [
        ("prod", "+", planner),
        ("production", "~", planner),
    ]


def test_a_viewers_token_reads_but_does_not_write(api_client, viewer):
    token = api_client.post(
        "/api/auth/token/", {"username": viewer.username, "password": PASSWORD}, format="json"
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/frames/").status_code == 200
    assert api_client.post("/api/vlans/", {"vlan_id": 400}, format="json").status_code == 403


# The HMC's password


@pytest.fixture
def planner_api(api_client, planner):
    login(api_client, planner)
    return api_client


def test_the_hmc_password_is_taken_but_never_given_back(planner_api):
    body = {
        "name": "hmc9",
        "host": "10.2.2.2",
        "password": "Sup3r-secret",
        "host_key": "ssh-ed25519 AAAA",
    }
    created = planner_api.post("/api/hmcs/", body, format="json")
    assert created.status_code == 201
    hmc_id = created.json()["id"]
    responses = [
        created,
        planner_api.get("/api/hmcs/"),
        planner_api.get(f"/api/hmcs/{hmc_id}/"),
        planner_api.patch(f"/api/hmcs/{hmc_id}/", {"version": "V10R3"}, format="json"),
        planner_api.put(f"/api/hmcs/{hmc_id}/", {"name": "hmc9", "host": "10.2.2.3"}),
    ]
    for response in responses:
        assert response.status_code in (200, 201)
        assert "password" not in response.content.decode()
        assert "Sup3r-secret" not in response.content.decode()
    assert planner_api.get(f"/api/hmcs/{hmc_id}/").json()["host_key"] == "ssh-ed25519 AAAA"
    # Left out of a change, the password is kept.
    assert Hmc.objects.get(pk=hmc_id).password == "Sup3r-secret"


def test_a_new_hmc_password_replaces_the_old_one(planner_api):
    hmc = HmcFactory()
    response = planner_api.patch(f"/api/hmcs/{hmc.pk}/", {"password": "n3w-pass"}, format="json")
    assert response.status_code == 200
    assert Hmc.objects.get(pk=hmc.pk).password == "n3w-pass"


def test_the_hmc_password_is_in_the_schemas_requests_only(planner_api):
    schema = planner_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    assert components["PaginatedHmcList"]["properties"]["results"]["items"] == {
        "$ref": "#/components/schemas/Hmc"
    }
    assert "password" not in components["Hmc"]["properties"]
    assert components["HmcRequest"]["properties"]["password"]["writeOnly"] is True
