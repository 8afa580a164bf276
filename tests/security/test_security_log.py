"""The security log page: administrators only, filterable, exportable as CSV."""

import csv
import io

import pytest

from lpmplanner.models import SecurityEvent
from lpmplanner.security import security_event
from tests.factories import login, user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    login(client, user_create("root", is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def events(planner, viewer):
    security_event(kind=SecurityEvent.Kind.SIGN_IN, user=planner)
    security_event(kind=SecurityEvent.Kind.SIGN_IN_FAILED, username="mallory")
    security_event(kind=SecurityEvent.Kind.TOKEN_CREATED, user=viewer, token="ci", scope="read")


def test_the_log_filters_by_kind_and_user(admin_client, events):
    page = admin_client.get("/security-log/?kind=sign_in_failed").content.decode()
    assert "mallory" in page and "<td>paul</td>" not in page
    page = admin_client.get("/security-log/?user=vera").content.decode()
    assert "API token created" in page and "scope=read, token=ci" in page
    assert "mallory" not in page


def test_the_log_exports_the_filtered_rows_as_csv(admin_client, events):
    response = admin_client.get("/security-log.csv?kind=sign_in&kind=token_created")
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted((r["kind"], r["username"]) for r in rows) == [
        ("sign_in", "paul"),
        ("sign_in", "root"),
        ("token_created", "vera"),
    ]


def test_a_bad_filter_is_named(admin_client, events):
    page = admin_client.get("/security-log/?since=yesterday").content.decode()
    assert "since: Enter a valid date/time." in page


def test_only_administrators_read_it(client, planner):
    login(client, planner)
    assert client.get("/security-log/").status_code == 403
    assert client.get("/security-log.csv").status_code == 403
