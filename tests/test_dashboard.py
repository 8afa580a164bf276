"""The dashboard: the estate in numbers, check violations, twins out of line, migrations and
HMC syncs, what needs an operator now; every number links to the list that shows as many."""

import re

import pytest
from django.test import Client

from inventory.models import Frame, Hmc, Lpar
from migrations_app.lpm import services as lpm
from migrations_app.models import DriftItem, HmcSync, MigrationJob, MigrationState
from planning.stubs import lpar_create_stub_twin
from tests.demo_estate import demo_estate_restore
from tests.factories import login, user_create

S = MigrationState
FIGURE = re.compile(
    r'<a [^>]*href="([^"]+)"[^>]*data-testid="figure-([\w-]+)"[^>]*>(.*?)</a>', re.S
)


@pytest.fixture
def estate(db) -> None:
    """The demo estate, a twin that drifted, migrations in several states and a sync with
    drift."""
    demo_estate_restore()
    p750b = Frame.objects.get(name="p750-b")
    states = {
        "server1": S.MIGRATING,
        "server2": S.QUEUED,
        "db1": S.FAILED,
        "lnx1": S.NEEDS_ATTENTION,
    }
    for name, state in states.items():
        job = lpm.migration_create(lpar=Lpar.objects.get(name=name), destination=p750b)
        MigrationJob.objects.filter(pk=job.pk).update(state=state, progress=40)
    sync = HmcSync.objects.create(hmc=Hmc.objects.first(), state=HmcSync.State.SUCCEEDED)
    for field_name in ("memory_mb", "proc_units"):
        DriftItem.objects.create(
            sync=sync, kind=DriftItem.Kind.DIFFERS, model="lpar", label="server1", field=field_name
        )


def _figures(html: str) -> dict[str, tuple[str, int]]:
    """Each figure's test id: (its link, its number)."""
    figures = {}
    for match in FIGURE.finditer(html):
        number = re.search(r"data-count>(\d+)<", match.group(3)) or re.search(
            r">(\d+)<", match.group(0)
        )
        figures[match.group(2)] = (match.group(1).replace("&amp;", "&"), int(number.group(1)))
    return figures


def _row_count(client: Client, url: str) -> int:
    html = client.get(url).content.decode()
    if "/planning/checks/" in url:
        return int(re.search(r'data-testid="violation-count">(\d+)', html).group(1))
    return int(re.search(r'data-testid="row-count">(\d+)', html).group(1))


@pytest.mark.parametrize("role", ["Planner", "Operator"])
def test_every_number_links_to_a_list_with_as_many_rows(estate, role):
    client = Client()
    login(client, user_create("dora", role=role))
    html = client.get("/").content.decode()
    figures = _figures(html)
    for testid in ("frames", "lpars", "twins", "checks", "running", "queued", "failed"):
        assert testid in figures, testid
    assert figures["frames"][1] == Frame.objects.count()
    assert figures["twins"][1] == Lpar.objects.filter(stub_of__isnull=False).count()
    assert (figures["running"][1], figures["queued"][1], figures["failed"][1]) == (1, 1, 1)
    for testid, (url, count) in figures.items():
        if testid == "twins-drift":
            continue  # a twin may drift in several ways: see the test below
        assert _row_count(client, url) == count, (testid, url)


def test_operators_see_what_needs_them_and_the_last_sync_with_its_drift(estate):
    client = Client()
    login(client, user_create("olga", role="Operator"))
    html = client.get("/").content.decode()
    needs = html.split('data-testid="needs-you"', 1)[1].split("</div>", 1)[0]
    assert "need attention" in needs
    url = re.search(r'href="([^"]+)" data-testid="needs-needs_attention"', needs).group(1)
    assert _row_count(client, url.replace("&amp;", "&")) == 1
    hmc = Hmc.objects.first()
    assert re.search(rf'data-testid="drift-{hmc.name}">2<', html)
    planner = Client()
    login(planner, user_create("paul", role="Planner"))
    assert 'data-testid="needs-you"' not in planner.get("/").content.decode()


def test_twins_out_of_line_counts_twins_and_links_to_their_differences(estate):
    server2 = Lpar.objects.get(name="server2")
    twin = lpar_create_stub_twin(lpar=server2, destination_frame=Frame.objects.get(name="p750-b"))
    Lpar.objects.filter(pk=twin.pk).update(memory_mb=twin.memory_mb * 2, proc_units=3)
    client = Client()
    login(client, user_create("paul", role="Planner"))
    url, count = _figures(client.get("/").content.decode())["twins-drift"]
    assert count == 1
    checks = client.get(url).content.decode()
    assert twin.name in checks and _row_count(client, url) >= 2  # memory and processor units
