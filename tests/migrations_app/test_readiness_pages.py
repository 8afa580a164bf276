"""The readiness page, its xlsx and the API over stored runs (no worker): shares per frame and
HMC, the LPARs not ready with the HMC's words and the first night, what changed, the trend,
filters, the export's text cells, role permissions, bad input in words."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from inventory.models import Frame, Hmc, Lpar
from lpmplanner.notifications.models import Kind, Notification, Subscription
from migrations_app.readiness.models import ReadinessResult, ReadinessRun, Verdict
from migrations_app.readiness.selectors import newly_not_ready
from migrations_app.readiness.services import readiness_changes_notify
from tests.demo_estate import demo_estate_restore
from tests.factories import login, user_create

RMC = "HSCLFF22 The RMC connection of partition lnx2 is not active."
NPIV = "=HSCLA319 The virtual fibre channel client adapter 620 of server2 cannot be hosted."


def run_make(verdicts: dict[str, tuple[str, str]], *, days_ago: int = 0) -> ReadinessRun:
    """A finished run with one result per LPAR named: {name: (verdict, reason)}."""
    when = timezone.now() - timedelta(days=days_ago)
    run = ReadinessRun.objects.create(state="succeeded", created=when, finished=when)
    previous = {
        r.lpar_id: r
        for r in ReadinessResult.objects.filter(verdict=Verdict.NOT_READY).order_by("run")
    }
    for name, (verdict, reason) in verdicts.items():
        lpar = Lpar.objects.select_related("frame__hmc").get(name=name)
        target = Frame.objects.exclude(pk=lpar.frame_id).first()
        code = reason.lstrip("=")[:8] if verdict == Verdict.NOT_READY else ""
        before = previous.get(lpar.pk)
        since = before.failing_since if before and before.code == code else when
        ReadinessResult.objects.create(
            run=run,
            lpar=lpar,
            lpar_name=name,
            frame=lpar.frame,
            frame_name=lpar.frame.name,
            hmc=lpar.frame.hmc,
            hmc_name=lpar.frame.hmc.name,
            target=target,
            target_name=target.name,
            target_source="frame",
            checked=when,
            verdict=verdict,
            reason=reason,
            codes=[code] if code else [],
            code=code,
            preflight_verdict="ok",
            disagreement="hmc_refused" if code else "",
            failing_since=since if verdict == Verdict.NOT_READY else None,
        )
    return run


READY = (Verdict.READY, "")


@pytest.fixture
def history(db):
    """Three nights: lnx2 fails from the first; server2 fails on the last; db1 fixed."""
    demo_estate_restore()
    run_make(
        {"lnx2": (Verdict.NOT_READY, RMC), "server1": READY, "db1": (Verdict.NOT_READY, NPIV)},
        days_ago=2,
    )
    run_make(
        {"lnx2": (Verdict.NOT_READY, RMC), "server1": READY, "db1": (Verdict.NOT_READY, NPIV)},
        days_ago=1,
    )
    return run_make(
        {
            "lnx2": (Verdict.NOT_READY, RMC),
            "server1": READY,
            "db1": READY,
            "server2": (Verdict.NOT_READY, NPIV),
            "app1": READY,
        }
    )


def test_the_page_shows_shares_reasons_first_night_changes_and_trend(history, client):
    login(client, user_create("vera", role="Viewer"))
    page = client.get("/readiness/").content.decode()
    first_night = ReadinessRun.objects.order_by("created").first().created
    assert "HSCLFF22 The RMC connection of partition lnx2 is not active." in page
    assert first_night.strftime("%Y-%m-%d %H:%M") in page
    assert "Newly failing: server2 (HSCLA319)" in page and "Fixed: db1" in page
    assert "Newly failing: lnx2" not in page
    # p750-a: server1, db1 ready, server2 not: 67 %; p750-b: app1 ready, lnx2 not: 50 %.
    frames = page.split('id="readiness-frames"')[1].split("</table>")[0]
    assert "<td>p750-a</td><td>2</td><td>1</td><td>0</td><td>67 %</td>" in frames
    assert "<td>p750-b</td><td>1</td><td>1</td><td>0</td><td>50 %</td>" in frames
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and "over the last 3 runs" in page
    assert "Disagreement" in page  # pre-flight allowed what the HMC refuses
    assert [r.lpar_name for r in newly_not_ready(history)] == ["server2"]


def test_filters_by_frame_hmc_and_code(history, client):
    login(client, user_create("vera", role="Viewer"))
    p750b = Frame.objects.get(name="p750-b")
    page = client.get(f"/readiness/?frame={p750b.pk}").content.decode()
    table = page.split('id="readiness-not-ready"')[1].split("</table>")[0]
    assert "lnx2" in table and "server2" not in table
    page = client.get("/readiness/?code=HSCLA319").content.decode()
    table = page.split('id="readiness-not-ready"')[1].split("</table>")[0]
    assert "server2" in table and "lnx2" not in table
    other = Hmc.objects.create(name="hmc-other", host="10.0.0.9", username="hscroot")
    page = client.get(f"/readiness/?hmc={other.pk}").content.decode()
    assert "Every LPAR checked is ready" in page
    assert client.get("/readiness/?frame=abc&run=").status_code == 200


def test_the_export_keeps_the_hmc_words_as_text(history, client):
    login(client, user_create("vera", role="Viewer"))
    answer = client.get(f"/readiness/export.xlsx?run={history.pk}")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"lnx2", "server1", "db1", "server2", "app1"}
    assert rows["server2"][8] == NPIV  # a string cell, not a formula
    cell = next(c for c in sheet["I"] if c.value == NPIV)
    assert cell.data_type == "s"
    assert rows["lnx2"][6] == "Not ready" and rows["lnx2"][7] == "HSCLFF22"


def test_the_page_renders_before_any_run(db, client):
    login(client, user_create("vera", role="Viewer"))
    page = client.get("/readiness/").content.decode()
    assert "No readiness run has finished yet." in page
    assert "Run now" not in page  # a Viewer may not start one


def test_api_lists_the_latest_run_and_filters(history, api_client):
    login(api_client, user_create("vera", role="Viewer"))
    body = api_client.get("/api/readiness-results/").json()
    assert {r["lpar_name"] for r in body["results"]} == {
        "lnx2",
        "server1",
        "db1",
        "server2",
        "app1",
    }
    body = api_client.get("/api/readiness-results/?verdict=not_ready&code=HSCLFF22").json()
    assert [(r["lpar_name"], r["code"], r["disagreement"]) for r in body["results"]] == [
        ("lnx2", "HSCLFF22", "hmc_refused")
    ]
    runs = api_client.get("/api/readiness-runs/").json()
    assert runs["count"] == 3 and runs["results"][0]["id"] == history.pk


def test_api_summary_is_what_the_page_shows(history, api_client):
    login(api_client, user_create("vera", role="Viewer"))
    body = api_client.get(f"/api/readiness-runs/{history.pk}/summary/").json()
    frames = {f["name"]: (f["ready"], f["not_ready"], f["percent"]) for f in body["frames"]}
    assert frames == {"p750-a": (2, 1, 67), "p750-b": (1, 1, 50)}
    assert [c["lpar_name"] for c in body["newly_failing"]] == ["server2"]
    assert [(c["lpar_name"], c["previous_code"]) for c in body["fixed"]] == [("db1", "HSCLA319")]
    assert [r["lpar_name"] for r in body["not_ready"]] == ["server2", "lnx2"]
    assert [round(p["percent"]) for p in body["trend"]] == [33, 33, 60]
    p750b = Frame.objects.get(name="p750-b").pk
    body = api_client.get(f"/api/readiness-runs/{history.pk}/summary/?frame={p750b}").json()
    assert [f["name"] for f in body["frames"]] == ["p750-b"]


def test_api_start_needs_the_operator_role_and_names_a_missing_scope(history, api_client):
    login(api_client, user_create("vera", role="Viewer"))
    assert api_client.post("/api/readiness-runs/", {}, format="json").status_code == 403
    login(api_client, user_create("olga", role="Operator"))
    answer = api_client.post("/api/readiness-runs/", {"scope": "frame"}, format="json")
    assert answer.status_code == 400 and "frame" in answer.json()
    frame = Frame.objects.get(name="p750-a")
    answer = api_client.post(
        "/api/readiness-runs/", {"scope": "frame", "frame": frame.pk}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["state"] == "queued" and answer.json()["scope_frame"] == frame.pk
    run_id = answer.json()["id"]
    stopped = api_client.post(f"/api/readiness-runs/{run_id}/stop/").json()
    assert stopped["state"] == "stopped"
    again = api_client.post(f"/api/readiness-runs/{run_id}/stop/")
    assert again.status_code == 400 and "stopped" in str(again.json())


def test_the_schema_describes_the_readiness_endpoints(db, api_client):
    login(api_client, user_create("vera", role="Viewer"))
    schema = api_client.get("/api/schema/?format=json").json()
    assert "/api/readiness-runs/" in schema["paths"]
    assert "/api/readiness-results/" in schema["paths"]
    assert "/api/readiness-runs/{id}/stop/" in schema["paths"]
    assert "/api/readiness-runs/{id}/summary/" in schema["paths"]


def test_run_now_from_the_page_needs_its_scope_and_the_operator_role(demo_only, client):
    login(client, user_create("vera", role="Viewer"))
    assert client.post("/readiness/runs/new/", {"scope": "estate"}).status_code == 403
    login(client, user_create("olga", role="Operator"))
    page = client.post("/readiness/runs/new/", {"scope": "frame"}, follow=True)
    assert "A run over a frame needs the frame." in page.content.decode()
    assert not ReadinessRun.objects.exists()
    frame = Frame.objects.get(name="p750-b")
    answer = client.post("/readiness/runs/new/", {"scope": "frame", "frame": frame.pk})
    run = ReadinessRun.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/readiness/runs/{run.pk}/"
    page = client.get(answer["Location"]).content.decode()
    assert "over frame p750-b: Queued" in page and "requested by olga" in page and "Stop" in page
    client.post(f"/readiness/runs/{run.pk}/stop/")
    run.refresh_from_db()
    assert run.state == "stopped"


@pytest.fixture
def demo_only(db):
    demo_estate_restore()


def test_subscribers_hear_of_the_lpars_newly_not_ready(history):
    p750a = Frame.objects.get(name="p750-a")
    watcher = user_create("nora", role="Operator", email="nora@example.com")
    Subscription.objects.create(user=watcher, kind=Kind.READINESS_NOT_READY, frame=p750a)
    other = user_create("otis", role="Operator", email="otis@example.com")
    Subscription.objects.create(
        user=other, kind=Kind.READINESS_NOT_READY, frame=Frame.objects.get(name="p750-b")
    )

    # server2 (p750-a) failed for the first time in the last run; lnx2 (p750-b) has failed
    # every night, so nobody is told about it again.
    assert readiness_changes_notify(run=history) == 1
    [notification] = Notification.objects.filter(kind=Kind.READINESS_NOT_READY)
    assert "server2 on p750-a no longer ready" in notification.subject
    assert "HSCLA319" in notification.body
    assert [lpar["lpar"] for lpar in notification.data["lpars"]] == ["server2"]
    recipients = sorted(d.recipient for d in notification.deliveries.all())
    assert recipients == ["nora@example.com"]
