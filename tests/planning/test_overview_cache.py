"""The Planning, Checks and Zoning pages read figures kept at the current estate version: they
show what the estate checks and the zoning plan say, they change as soon as an edit commits
(whatever made it: a form, a queryset update, a bulk insert), and they cost the same queries
on a larger estate."""

import html
import re
from collections import Counter

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from inventory.models import Lpar, VirtualAdapter
from inventory.seeding import estate_seed
from planning import checks
from planning.cache import estate_version, summaries_refresh
from planning.models import EstateSummary, EstateViolation
from planning.tasks import estate_summaries_refresh_task
from planning.zoning.plan import zoning_plan
from tests.demo_estate import demo_estate_restore
from tests.factories import login


@pytest.fixture
def demo_committed(default_scheme):
    """The demo estate, committed (a transactional test), as a viewer's pages see it: the rows
    `seed_demo` writes, copied in (tests/demo_estate.py) rather than validated again each test."""
    demo_estate_restore()


@pytest.fixture
def viewer_client(client, viewer):
    login(client, viewer)
    return client


def planning_counts(client) -> dict[str, int]:
    """{check label: count} as the Planning page lists them, and the total under "total"."""
    body = client.get("/planning/").content.decode()
    counts = {
        html.unescape(label): int(count)
        for label, count in re.findall(r'\?check=\w+">([^<]+)</a>: (\d+)</li>', body)
    }
    counts["total"] = int(re.search(r'data-testid="violations">(\d+) violation', body)[1])
    return counts


def expected_counts() -> dict[str, int]:
    found = checks.estate_check()
    by_code = Counter(v.check for v in found)
    counts = {label: by_code[code] for code, (label, _) in checks.CHECKS.items()}
    counts["total"] = len(found)
    return counts


def checks_count(client, query: str = "") -> int:
    body = client.get(f"/planning/checks/{query}").content.decode()
    return int(re.search(r'data-testid="violation-count">(\d+) violation', body)[1])


def slots_out_of_range() -> None:
    """Every vFC client 240 slots up: 610 and 620 become 850 and 860, outside 600–800."""
    clients = VirtualAdapter.objects.filter(kind="vfc", role="client", slot__lte=800)
    clients.update(slot=F("slot") + 240)


def break_vios_ids() -> None:
    """Two VIOS off the scheme's ids, by a queryset update (no model save, no signal)."""
    Lpar.objects.filter(kind="vios", lpar_id=2).update(lpar_id=7)


@pytest.mark.django_db(transaction=True)
def test_the_counts_are_the_estate_checks_and_follow_every_committed_edit(
    demo_committed, viewer_client
):
    estate_seed(frames=2, lpars_per_frame=3, seed=4)
    # Something to count: a vFC client that lost a WWPN.
    adapter = VirtualAdapter.objects.filter(kind="vfc", role="client").first()
    adapter.wwpns.filter(position=2).delete()
    assert planning_counts(viewer_client) == expected_counts()
    assert EstateSummary.objects.get(kind="checks").version == estate_version()
    before = planning_counts(viewer_client)

    break_vios_ids()
    after = planning_counts(viewer_client)
    assert after == expected_counts()
    vios_label = checks.CHECKS["vios_id"][0]
    assert after[vios_label] == before[vios_label] + Lpar.objects.filter(lpar_id=7).count()
    assert checks_count(viewer_client, "?check=vios_id") == after[vios_label]

    estate_seed(frames=1, lpars_per_frame=2, seed=5)  # bulk_create counts too
    assert planning_counts(viewer_client) == expected_counts()


@pytest.mark.django_db(transaction=True)
def test_a_kept_summary_is_read_not_recomputed(demo_committed, viewer_client, monkeypatch):
    summaries_refresh()

    def refused():
        raise AssertionError("the estate was checked again although it did not change")

    monkeypatch.setattr(checks, "estate_check", refused)
    monkeypatch.setattr("planning.cache.zoning_plan", refused)
    for path in ("/planning/", "/planning/checks/", "/zoning/"):
        assert viewer_client.get(path).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_checks_page_pages_through_every_violation(demo_committed, viewer_client):
    estate_seed(frames=3, lpars_per_frame=40, seed=6)
    slots_out_of_range()
    total = expected_counts()["total"]
    assert total > 200
    assert checks_count(viewer_client) == total
    first = viewer_client.get("/planning/checks/").content.decode()
    assert "Page 1 of" in first and first.count("<tr data-check=") == 100
    last_page = -(-total // 100)
    last = viewer_client.get(f"/planning/checks/?page={last_page}").content.decode()
    assert last.count("<tr data-check=") == total - 100 * (last_page - 1)
    only = viewer_client.get("/planning/checks/?check=slot_range&page=2").content.decode()
    assert set(re.findall(r'<tr data-check="(\w+)"', only)) == {"slot_range"}


@pytest.mark.django_db(transaction=True)
def test_an_unknown_check_is_a_400(demo_committed, viewer_client):
    response = viewer_client.get("/planning/checks/?check=nonsense")
    assert response.status_code == 400
    assert "check must be one of" in response.content.decode()


def zoning_figures(client) -> list[str]:
    body = client.get("/zoning/").content.decode()
    return re.findall(r"\d+ initiator WWPNs · \d+ target ports · \d+ zones · \d+ storage", body)


def planned_figures() -> list[str]:
    return [
        f"{len(p.initiators)} initiator WWPNs · {len(p.targets)} target ports · "
        f"{len(p.zones)} zones · {len(p.hosts)} storage"
        for p in zoning_plan().fabrics
    ]


@pytest.mark.django_db(transaction=True)
def test_the_zoning_figures_are_the_plans_and_follow_edits(demo_committed, viewer_client):
    assert zoning_figures(viewer_client) == planned_figures()
    estate_seed(frames=1, lpars_per_frame=4, seed=9)
    figures = zoning_figures(viewer_client)
    assert figures == planned_figures()
    assert figures != []


def page_queries(client, path: str) -> int:
    summaries_refresh()  # as beat keeps them: the page reads, it does not compute
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/planning/", "/planning/checks/", "/zoning/"])
def test_an_overview_costs_the_same_queries_on_a_larger_estate(demo_committed, viewer_client, path):
    slots_out_of_range()  # something to list on both
    small = page_queries(viewer_client, path)
    estate_seed(frames=4, lpars_per_frame=30, seed=10)
    slots_out_of_range()
    assert page_queries(viewer_client, path) == small


@pytest.mark.django_db
def test_an_uncommitted_edit_is_shown_to_its_own_transaction_and_not_kept(demo, viewer_client):
    break_vios_ids()
    assert planning_counts(viewer_client) == expected_counts()
    if connection.vendor == "postgresql":
        # The version moves at commit: until then what this transaction derives is not kept.
        # (SQLite raises it per row inside the transaction; what is kept then rolls back with it.)
        assert estate_version() is None
        assert not EstateSummary.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_beat_refreshes_the_figures_after_an_edit(demo_committed, settings):
    assert "estate-summaries-refresh" in settings.CELERY_BEAT_SCHEDULE
    estate_summaries_refresh_task()
    kept = EstateSummary.objects.get(kind="checks").version
    break_vios_ids()
    assert estate_version() > kept
    estate_summaries_refresh_task()
    assert set(EstateSummary.objects.values_list("kind", "version")) == {
        ("checks", estate_version()),
        ("zoning", estate_version()),
    }
    assert EstateViolation.objects.filter(check_code="vios_id").count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_checks_api_reads_the_kept_violations_and_refuses_unknown_filters(
    demo_committed, api_client, viewer
):
    login(api_client, viewer)
    break_vios_ids()
    body = api_client.get("/api/checks/?check=vios_id").json()
    assert (body["count"], body["errors"]) == (2, 2)
    assert {row["check"] for row in body["results"]} == {"vios_id"}
    assert api_client.get("/api/checks/?check=nonsense").status_code == 400
    assert api_client.get("/api/checks/?severity=fatal").json() == {
        "severity": ["One of error, warning."]
    }


def kept_findings() -> dict[int, tuple[str, str]]:
    """The kept findings: id → (check, object)."""
    return {
        pk: (check, obj)
        for pk, check, obj in EstateViolation.objects.values_list("id", "check_code", "object")
    }


@pytest.mark.django_db(transaction=True)
def test_an_edit_that_fixes_one_finding_removes_exactly_it_and_keeps_the_others(
    demo_committed, viewer_client
):
    break_vios_ids()
    slots_out_of_range()
    summaries_refresh()
    before = kept_findings()
    vios = Lpar.objects.filter(kind="vios", lpar_id=7).order_by("pk").first()
    label = f"{vios.name} ({vios.frame.name})"
    [fixed] = [pk for pk, found in before.items() if found == ("vios_id", label)]

    Lpar.objects.filter(pk=vios.pk).update(lpar_id=2)
    summaries_refresh()

    after = kept_findings()
    assert after == {pk: found for pk, found in before.items() if pk != fixed}
    assert checks_count(viewer_client) == len(before) - 1
    assert len(checks.estate_check()) == len(before) - 1


@pytest.mark.django_db(transaction=True)
def test_an_edit_that_makes_one_finding_adds_exactly_it_and_keeps_the_others(
    demo_committed, viewer_client
):
    break_vios_ids()
    summaries_refresh()
    before = kept_findings()
    adapter = VirtualAdapter.objects.filter(kind="vfc", role="client").order_by("pk").first()

    adapter.wwpns.filter(position=2).delete()
    summaries_refresh()

    after = kept_findings()
    assert {pk: after[pk] for pk in before} == before
    [(check, obj)] = [found for pk, found in after.items() if pk not in before]
    assert check == "wwpn_pair"
    assert obj.startswith(adapter.lpar.name) and obj.endswith(f"slot {adapter.slot}")
    assert checks_count(viewer_client) == len(before) + 1
