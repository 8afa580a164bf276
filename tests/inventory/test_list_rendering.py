"""The list pages write their rows without a template per cell: what they show is what
django-tables2's own template shows, and their cost in queries does not grow with the estate."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.template.loader import get_template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django_tables2 import RequestConfig

from inventory.models import Frame, Lpar
from inventory.seeding import estate_seed
from inventory.views import OBJECT_TYPES
from planning.stubs import lpar_create_stub_twin
from tests.factories import login

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def estate(django_db_setup, django_db_blocker):
    """The demo estate (every kind of row, empty values), a stub twin and two synthetic frames,
    built once for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        lpar_create_stub_twin(
            lpar=Lpar.objects.get(name="server1"),
            destination_frame=Frame.objects.get(name="p750-b"),
        )
        estate_seed(frames=2, lpars_per_frame=5, seed=7)
        yield
        transaction.set_rollback(True)


def _rendered(object_type, template: str, sort: str) -> str:
    request = RequestFactory().get("/", {"sort": sort} if sort else {})
    table = object_type.table(object_type.queryset())
    RequestConfig(request, paginate={"per_page": 250}).configure(table)
    html = get_template(template).render({"table": table, "request": request})
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


@pytest.mark.parametrize("object_type", OBJECT_TYPES, ids=lambda t: t.slug)
@pytest.mark.parametrize("sort", ["", "-pk"])
def test_every_list_shows_what_django_tables2_would(estate, object_type, sort):
    ours = _rendered(object_type, "inventory/_table.html", sort)
    assert ours == _rendered(object_type, "django_tables2/bootstrap5.html", sort)
    assert ours.count("<tr ") > 1


def test_the_lpar_list_links_names_frames_and_originals(estate, client, viewer):
    login(client, viewer)
    twin = Lpar.objects.filter(stub_of__isnull=False).select_related("stub_of", "frame").first()
    assert twin is not None
    body = client.get("/inventory/lpars/", {"name": twin.name}).content.decode()
    row = body.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert f'<a href="/inventory/lpars/{twin.pk}/">{twin.name}</a>' in row
    assert f'<a href="/inventory/frames/{twin.frame_id}/">{twin.frame.name}</a>' in row
    assert f'<a href="/inventory/lpars/{twin.stub_of_id}/">{twin.stub_of.name}</a>' in row


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("path", "pinned"),
    [("/inventory/lpars/?per_page=100", 7), ("/api/lpars/?limit=100", 7)],
)
def test_the_lpar_list_and_api_cost_the_same_queries_on_a_larger_estate(
    estate, client, viewer, path, pinned
):
    login(client, viewer)
    small = _queries(client, path)
    before = Lpar.objects.count()
    estate_seed(frames=3, lpars_per_frame=40, seed=8)
    assert Lpar.objects.count() >= before + 120
    assert (small, _queries(client, path)) == (pinned, pinned)


class _Row:
    def __init__(self, pk: int, amount: object) -> None:
        self.pk = pk
        self.amount = amount


def test_values_that_compare_equal_but_read_differently_keep_their_own_cells():
    """A cell written once for a value is reused for equal values only when they would be
    written the same: 1.0 and 1.00, 1 and True stay as they are."""
    from decimal import Decimal

    import django_tables2 as django_tables

    from inventory.tables import InventoryTable, YesNoColumn

    class AmountTable(InventoryTable):
        amount = django_tables.Column()
        flag = YesNoColumn(accessor="amount")

    values = [Decimal("1.0"), Decimal("1.00"), 1, True, 1.0, Decimal("1.0"), True]
    rows = [_Row(pk, value) for pk, value in enumerate(values, start=1)]

    def rendered(template: str) -> str:
        request = RequestFactory().get("/")
        table = AmountTable(rows)
        RequestConfig(request, paginate={"per_page": 250}).configure(table)
        html = get_template(template).render({"table": table, "request": request})
        return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()

    ours = rendered("inventory/_table.html")
    assert ours == rendered("django_tables2/bootstrap5.html")
    cells = re.findall(r"<td >([^<]*)</td>", ours)
    assert cells[:4] == ["1.0", "Yes", "1.00", "Yes"]
    assert "True" in cells


def test_a_column_hidden_in_one_table_shows_in_the_next(estate):
    """Each table has its own copies of its class's columns (copied shallowly, not deeply)."""
    from inventory.tables import LparTable

    first = LparTable(Lpar.objects.all())
    first.columns.hide("frame")
    assert "frame" not in [column.name for column in first.columns]
    second = LparTable(Lpar.objects.all())
    assert "frame" in [column.name for column in second.columns]
    assert LparTable.base_columns["frame"].visible


def _lpar_pages(query: dict, hidden: tuple[str, ...], per_page: int) -> list[str]:
    object_type = next(t for t in OBJECT_TYPES if t.slug == "lpars")
    pages = []
    for template in ("inventory/_table.html", "django_tables2/bootstrap5.html"):
        request = RequestFactory().get("/", query)
        table = object_type.table(object_type.queryset(), exclude=hidden)
        RequestConfig(request, paginate={"per_page": per_page}).configure(table)
        html = get_template(template).render({"table": table, "request": request})
        pages.append(re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip())
    return pages


@pytest.mark.parametrize(
    "query", [{}, {"sort": "-pk", "page": "2"}, {"sort": "pk", "page": "3"}, {"page": "999"}]
)
@pytest.mark.parametrize("hidden", [(), ("frame", "stub_of"), ("name", "state", "msp")])
def test_the_lpar_list_read_from_values_shows_what_django_tables2_would(estate, query, hidden):
    """The LPAR list writes its rows from one values() query of its shown columns: the same
    rows, links, labels and even/odd stripes as django-tables2's template, on every page and
    choice of columns, and the same pagination (a page past the last is the last)."""
    ours, theirs = _lpar_pages(query, hidden, per_page=7)
    assert ours == theirs
    assert ours.count("<tr ") > 1
    assert 'class="pagination' in ours


@pytest.mark.parametrize("sort", ["frame", "-stub_of", "shared_pool", "-state", "msp"])
def test_the_lpar_list_sorted_by_any_column_shows_what_django_tables2_would(estate, sort):
    """Sorted by a related object, a label or a yes/no: the same header and the same rows (the
    database may order equal keys differently from one query to the next, so rows are compared
    as a whole page's set)."""
    ours, theirs = _lpar_pages({"sort": sort}, (), per_page=500)

    def parts(page: str) -> tuple[str, list[str], str]:
        head, rest = page.split("<tbody >", 1)
        body, tail = rest.split("</tbody>", 1)
        rows = re.sub(r'<tr class="(even|odd)">', "<tr>", body).split("<tr>")
        return head, sorted(rows), tail

    assert parts(ours) == parts(theirs)
    flipped = sort[1:] if sort.startswith("-") else f"-{sort}"
    assert f"?sort={flipped}" in ours  # the sorted column's header reverses its order


def test_the_lpar_list_reads_no_lpar_objects(estate, client, viewer, monkeypatch):
    """Its rows are read as values: no LPAR, frame or pool object is built for the page."""
    built = []
    original = Lpar.from_db.__func__

    def counted(cls, *args, **kwargs):
        built.append(cls)
        return original(cls, *args, **kwargs)

    login(client, viewer)
    for model in (Lpar, Frame):
        monkeypatch.setattr(model, "from_db", classmethod(counted))
    body = client.get("/inventory/lpars/", {"per_page": 25}).content.decode()
    assert body.count('name="pk"') == 25
    assert built == []


def test_objects_shown_by_their_values_read_as_their_own_str(estate):
    """STR_FROM_VALUES says what str() of each of its models is: it must agree with __str__."""
    from inventory.tables import STR_FROM_VALUES

    for model, (lookups, form) in STR_FROM_VALUES.items():
        rows = model.objects.order_by("pk")
        assert rows.exists(), model
        for instance, values in zip(rows, rows.values_list(*lookups), strict=True):
            assert form.format(*values) == str(instance), model


def test_a_list_sorted_by_a_column_with_equal_values_pages_through_every_row_once(
    estate, client, viewer
):
    """Sorted by frame, the LPARs of a frame are equal in that column: the primary key orders
    them after it, so paging through shows every LPAR once (no row on two pages, none on
    neither), whatever order the database would give equal keys."""
    login(client, viewer)
    lpars = Lpar.objects.count()
    assert Lpar.objects.values("frame").distinct().count() < lpars  # ties exist
    shown: list[int] = []
    for page in range(1, -(-lpars // 25) + 1):
        body = client.get("/inventory/lpars/", {"sort": "frame", "per_page": 25, "page": page})
        rows = body.content.decode().split("<tbody", 1)[1].split("</tbody>", 1)[0]
        for tag in re.findall(r"<input[^>]*>", rows):
            if 'name="pk"' in tag:
                shown.append(int(re.search(r'value="(\d+)"', tag).group(1)))
    assert sorted(shown) == sorted(Lpar.objects.values_list("pk", flat=True))
    table = next(t for t in OBJECT_TYPES if t.slug == "lpars").table(Lpar.objects.all())
    RequestConfig(RequestFactory().get("/", {"sort": "frame"})).configure(table)
    assert table.data.data.query.order_by[-1] == "pk"  # equal frames: the key decides
