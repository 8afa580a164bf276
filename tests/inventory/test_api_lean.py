"""The LPAR list reads plain values (`LparSerializer.rows_representation`): its JSON must be
exactly what the serializer gives for the instances, related objects and decimals included."""

import json
from decimal import Decimal

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from inventory.api.serializers import LparSerializer
from inventory.models import Lpar
from tests.factories import FrameFactory, LparFactory, SharedProcessorPoolFactory, login

pytestmark = pytest.mark.django_db


def test_lean_list_is_the_serializers_json(api_client, planner):
    a, b = FrameFactory(name="p750-a"), FrameFactory(name="p750-b")
    pool = SharedProcessorPoolFactory(frame=a, name="prod")
    original = LparFactory(
        frame=a, name="server1", shared_pool=pool, proc_units=Decimal("0.35"), notes=""
    )
    LparFactory(frame=b, name="server1-stub", lpar_id=99, stub_of=original, notes="twin")
    LparFactory(frame=b, name="server2", proc_units=Decimal("2"))
    login(api_client, planner)

    response = api_client.get("/api/lpars/?ordering=id&limit=10")

    assert response.status_code == 200
    lean = response.json()["results"]
    request = Request(APIRequestFactory().get("/api/lpars/"))
    full = LparSerializer(Lpar.objects.order_by("id"), many=True, context={"request": request})
    assert lean == json.loads(json.dumps(full.data, default=float))
    assert lean[0]["shared_pool"]["display"] == "p750-a/prod"
    assert lean[1]["stub_of"]["display"] == "server1"
    assert [row["display"] for row in lean] == [str(lpar) for lpar in Lpar.objects.order_by("id")]
