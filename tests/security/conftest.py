"""Fixtures for the security tests: the demo estate with a stub twin ready for Create on HMC."""

import pytest

from inventory.models import Frame, Lpar
from planning.stubs import lpar_create_stub_twin
from tests.demo_estate import demo_estate_restore


@pytest.fixture
def demo(db):
    demo_estate_restore()


@pytest.fixture
def twin(demo) -> Lpar:
    """server1's stub twin planned on p750-b, whose frame has an HMC: Create on HMC applies."""
    server1 = Lpar.objects.get(name="server1")
    return lpar_create_stub_twin(lpar=server1, destination_frame=Frame.objects.get(name="p750-b"))
