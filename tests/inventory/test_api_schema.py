"""The OpenAPI schema describes every inventory collection, how related objects are written and
read, and the errors each operation can answer with."""

import pytest
from django.core.management import call_command

from tests.factories import login

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


@pytest.fixture
def schema(client, viewer) -> dict:
    login(client, viewer)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_every_collection_is_described(schema):
    for name in COLLECTIONS:
        assert set(schema["paths"][f"/api/{name}/"]) >= {"get"}
        assert set(schema["paths"][f"/api/{name}/{{id}}/"]) >= {"get", "patch", "put"}
    assert set(schema["paths"]["/api/wwpns/"]) == {"get"}
    assert set(schema["paths"]["/api/wwpns/{id}/"]) == {"get", "put", "patch"}


def test_every_operation_documents_its_errors(schema):
    def codes(path: str, method: str) -> set[str]:
        return set(schema["paths"][path][method]["responses"])

    assert codes("/api/lpars/", "get") == {"200", "400", "401", "403"}
    assert codes("/api/lpars/", "post") == {"201", "400", "401", "403", "409"}
    assert codes("/api/lpars/{id}/", "get") == {"200", "401", "403", "404"}
    assert codes("/api/lpars/{id}/", "patch") == {"200", "400", "401", "403", "404", "409"}
    assert codes("/api/lpars/{id}/", "delete") == {"204", "401", "403", "404", "409"}
    # The token endpoint needs no login and changes no model; it may say: wait (locked out, or
    # a code too soon after wrong ones).
    assert codes("/api/auth/token/", "post") == {"200", "400", "429"}
    error = schema["paths"]["/api/frames/{id}/"]["delete"]["responses"]["409"]
    assert error["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}

    def invalid(path: str) -> dict:
        return schema["paths"][path]["post"]["responses"]["400"]["content"]["application/json"]

    assert invalid("/api/lpars/")["schema"] == {"$ref": "#/components/schemas/ValidationError"}
    assert schema["components"]["schemas"]["ValidationError"]["additionalProperties"] == {
        "type": "array",
        "items": {"type": "string"},
    }
    # A list field's messages come by position (a frame's compatibility modes).
    nested = {"$ref": "#/components/schemas/NestedValidationError"}
    assert invalid("/api/frames/")["schema"] == nested
    assert invalid("/api/migration-batches/")["schema"] == nested
    # A form-only operation says that a JSON body is refused.
    assert "415" in schema["paths"]["/api/workbook/import/"]["post"]["responses"]


def test_a_related_object_is_written_as_an_id_and_read_as_a_brief_object(schema):
    components = schema["components"]["schemas"]
    assert components["LparRequest"]["properties"]["frame"] == {"type": "integer"}
    assert components["Lpar"]["properties"]["frame"] == {"$ref": "#/components/schemas/Brief"}
    assert set(components["Brief"]["properties"]) == {"id", "url", "display"}


def test_vlans_and_wwpns_are_plain_values(schema):
    adapter = schema["components"]["schemas"]["VirtualAdapter"]["properties"]
    assert adapter["pvid"]["type"] == "integer"
    assert adapter["vlans"]["items"]["type"] == "integer"
    assert adapter["wwpns"]["items"]["type"] == "string"


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "api.yaml")
    assert "/api/virtual-adapters/{id}/" in (tmp_path / "api.yaml").read_text()
