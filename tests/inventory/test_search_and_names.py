"""The global search, names instead of ids in the list filters, and the filter labels."""

import re

import pytest
from django.test import Client

from inventory.identifiers import wwpn_colon
from inventory.models import Frame, Lpar, Wwpn
from tests.demo_estate import demo_estate_restore
from tests.factories import login, user_create


@pytest.fixture
def client_in(db) -> Client:
    demo_estate_restore()
    client = Client()
    client.force_login(user_create("vera", role="Viewer"))
    return client


def _hit_texts(html: str, kind: str) -> list[str]:
    section = html.split(f'data-kind="{kind}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<a href="[^"]+"[^>]*>([^<]+)</a>', section)


@pytest.mark.parametrize("spelling", ["colons", "dashes", "upper"])
def test_search_finds_a_wwpn_however_it_is_typed(client_in, spelling):
    wwpn = Wwpn.objects.filter(virtual_adapter__isnull=False).first()
    typed = {
        "colons": wwpn_colon(wwpn.value),
        "dashes": "-".join(wwpn.value[i : i + 4] for i in range(0, 16, 4)),
        "upper": wwpn.value.upper(),
    }[spelling]
    html = client_in.get("/search/", {"q": typed}).content.decode()
    assert _hit_texts(html, "WWPNs") == [wwpn_colon(wwpn.value)]
    api = client_in.get("/api/search/", {"q": typed}).json()
    (group,) = [g for g in api if g["kind"] == "WWPNs"]
    assert [hit["text"] for hit in group["hits"]] == [wwpn_colon(wwpn.value)]


def test_search_groups_lpars_frames_and_vlans(client_in):
    html = client_in.get("/search/", {"q": "p750-a"}).content.decode()
    assert _hit_texts(html, "Frames") == ["p750-a"]
    html = client_in.get("/search/", {"q": "server1"}).content.decode()
    assert "server1" in _hit_texts(html, "LPARs")
    html = client_in.get("/search/", {"q": "400"}).content.decode()
    assert "400" in _hit_texts(html, "VLANs")
    html = client_in.get("/search/", {"q": "no-such-thing"}).content.decode()
    assert 'data-testid="search-empty"' in html


def test_a_related_filter_shows_the_name_and_keeps_the_id(client_in):
    vios = Lpar.objects.select_related("frame").get(name="vios1", frame__name="p750-a")
    html = client_in.get("/inventory/virtual-adapters/", {"lpar": vios.pk}).content.decode()
    select = html.split('name="lpar"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{vios.pk}" selected>vios1 (p750-a)</option>' in select
    assert "(id)" not in html
    rows = client_in.get("/api/virtual-adapters/", {"lpar": vios.pk}).json()["results"]
    assert rows and {
        row["lpar"] if isinstance(row["lpar"], int) else row["lpar"]["id"] for row in rows
    } == {vios.pk}


def test_the_options_of_a_searchable_select_carry_the_frame(client_in):
    results = client_in.get("/inventory/lpars/options/", {"q": "vios1"}).json()["results"]
    texts = sorted(r["text"] for r in results)
    frames = sorted(Frame.objects.filter(lpars__name="vios1").values_list("name", flat=True))
    assert texts == [f"vios1 ({name})" for name in frames]


def test_yes_no_filters_offer_any_yes_no(client_in):
    html = client_in.get("/inventory/lpars/", {"msp": "true"}).content.decode()
    select = html.split('name="msp"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r">([^<]+)</option>", select) == ["Any", "Yes", "No"]
    assert 'value="true" selected' in select
    assert "Unknown" not in html
    kind = html.split('name="kind"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r">([^<]+)</option>", kind)[0] == "Any"
    assert "---------" not in html


def test_filter_labels_do_not_depend_on_the_api_docs_being_opened_first(client_in):
    def labels() -> list[str]:
        html = client_in.get("/inventory/lpars/").content.decode()
        form = html.split('id="filter-form"', 1)[1].split("</form>", 1)[0]
        return re.findall(r'<label class="form-label[^"]*" for="[^"]+">([^<]+)</label>', form)

    before = labels()
    assert "Processor mode" in before
    assert client_in.get("/api/schema/").status_code == 200
    assert client_in.get("/api/docs/").status_code == 200
    assert labels() == before


def test_favicon_is_served(db):
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"


def test_history_shows_related_objects_by_name(client_in):
    lpar = Lpar.objects.get(name="server1")
    lpar.frame = Frame.objects.get(name="p750-b")
    lpar.lpar_id = 99
    lpar.save()
    text = re.sub(r"<[^>]+>", "", client_in.get("/inventory/history/").content.decode())
    assert "Frame: p750-a → p750-b" in text


def test_a_form_renders_only_the_chosen_related_object_by_name(db):
    demo_estate_restore()
    client = Client()
    login(client, user_create("paul", role="Planner"))
    lpar = Lpar.objects.select_related("frame").get(name="server1")
    html = client.get(f"/inventory/lpars/{lpar.pk}/edit/").content.decode()
    frame_select = html.split('name="frame"', 1)[1].split("</select>", 1)[0]
    assert 'data-options-url="/inventory/frames/options/"' in frame_select
    assert re.findall(r"<option[^>]*>([^<]*)</option>", frame_select) == ["---------", "p750-a"]
    assert "p750-b" not in frame_select  # found by searching, not listed in the page
    options = client.get("/inventory/frames/options/", {"q": "750"}).json()["results"]
    assert [o["text"] for o in options] == ["p750-a", "p750-b"]
