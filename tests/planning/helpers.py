"""Look-ups and test cases the planning tests share."""

from django.test import TestCase

from inventory.models import Frame, Lpar
from tests.demo_estate import demo_estate_restore


def vios(frame_name: str, name: str) -> Lpar:
    return Lpar.objects.get(frame__name=frame_name, name=name)


class DemoTestCase(TestCase):
    """The demo estate, loaded once per class (seed_demo takes seconds); each test changes it
    inside its own savepoint."""

    @classmethod
    def setUpTestData(cls) -> None:
        demo_estate_restore()
        cls.a, cls.b = Frame.objects.get(name="p750-a"), Frame.objects.get(name="p750-b")
        cls.server1 = Lpar.objects.get(name="server1")


def _nullable(node):
    """OpenAPI 3.0's `nullable` as JSON Schema: the node or null."""
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def assert_matches_schema(schema: dict, path: str, method: str, status: int, body) -> None:
    """The response body is what the OpenAPI schema says this operation answers."""
    import jsonschema

    document = _nullable(schema)
    operation = document["paths"][path][method]
    expected = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    jsonschema.validate(body, {**document, **expected})
