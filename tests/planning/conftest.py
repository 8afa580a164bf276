"""Fixtures of the planning tests: the demo estate and a planner's API client."""

import pytest

from inventory.models import Frame, Lpar
from planning.models import EnumerationScheme
from tests.demo_estate import demo_estate_restore
from tests.factories import login


@pytest.fixture
def demo(db) -> dict:
    """The demo estate: server1 on p750-a, and p750-b to twin onto."""
    demo_estate_restore()
    return {
        "p750-a": Frame.objects.get(name="p750-a"),
        "p750-b": Frame.objects.get(name="p750-b"),
        "server1": Lpar.objects.get(name="server1"),
    }


@pytest.fixture
def default_scheme(transactional_db) -> EnumerationScheme:
    """The default scheme the migration creates: a transactional test runs after another one
    has flushed every table, that row included."""
    return EnumerationScheme.objects.get_or_create(
        is_default=True, defaults={"name": "Default", "vios_lpar_ids": [1, 2]}
    )[0]


@pytest.fixture
def api(api_client, planner):
    login(api_client, planner)
    return api_client
