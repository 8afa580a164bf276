"""The pre-flight pages: migratability on the LPAR's planning page, the matrix with its filters,
its cells' findings (htmx fragment or page) and xlsx export, evacuation plans and moves."""

import io
import re
from unittest.mock import patch

from openpyxl import load_workbook

from inventory.models import Frame, Lpar, VirtualAdapter, Vlan
from planning.models import EvacuationPlan
from tests.factories import user_create
from tests.planning.helpers import DemoTestCase


class PreflightPages(DemoTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.planner = user_create("paul", role="Planner")
        cls.viewer = user_create("vera", role="Viewer")

    def setUp(self) -> None:
        self.client.force_login(self.planner)

    def test_the_lpar_page_shows_where_it_can_go(self):
        trunks = VirtualAdapter.objects.filter(lpar__frame=self.b, role="trunk")
        for trunk in trunks:
            trunk.vlans.remove(Vlan.objects.get(vlan_id=400))
        body = self.client.get(f"/planning/lpars/{self.server1.pk}/").content.decode()
        assert 'data-testid="migratability"' in body
        assert 'data-frame="p750-b"' in body and "cannot move" in body
        assert "VLAN 400 of server1 is bridged by no VIOS trunk adapter on p750-b." in body
        inventory = self.client.get(f"/inventory/lpars/{self.server1.pk}/").content.decode()
        assert f"/planning/lpars/{self.server1.pk}/#migratability" in inventory

    def test_the_matrix_filters_by_frame_and_kind_and_colours_by_verdict(self):
        body = self.client.get("/planning/matrix/", {"frame": self.a.pk}).content.decode()
        for name in ("server1", "server2", "db1", "lnx1"):
            assert f">{name}</a>" in body
        assert ">app1</a>" not in body and ">vios1</a>" not in body  # other frame, VIOS
        assert body.count('class="mx mx-ok"') == 4  # each to p750-b
        # Its own frame is no destination: neither "cannot move" nor counted as such.
        assert body.count('class="mx mx-own"') == 4 and 'class="mx mx-blocked"' not in body
        assert "cannot move: 0" in body and "can move: 4" in body
        # A link naming no kind shows the kind it applies (clients), not "every LPAR".
        kind = body.split('name="kind"', 1)[1].split("</select>", 1)[0]
        assert re.search(r'<option value="clients" selected>', kind)
        assert not re.search(r'<option value="" selected>', kind)
        vios = self.client.get("/planning/matrix/", {"kind": "vios"}).content.decode()
        assert ">vios1</a>" in vios and ">server1</a>" not in vios
        assert 'class="mx mx-ok"' not in vios

    def test_a_cell_opens_its_findings(self):
        url = f"/planning/matrix/cell/?lpar={self.server1.pk}&frame={self.a.pk}"
        fragment = self.client.get(url, HTTP_HX_REQUEST="true").content.decode()
        assert "<html" not in fragment
        assert "SAME_FRAME" in fragment and "server1 already lives on p750-a." in fragment
        page = self.client.get(url).content.decode()
        assert "<html" in page and "cannot move" in page
        assert self.client.get("/planning/matrix/cell/?lpar=x&frame=1").status_code == 404

    def test_the_matrix_exports_to_xlsx(self):
        Frame.objects.filter(pk=self.b.pk).update(memory_region_mb=128)
        response = self.client.get("/planning/matrix/export.xlsx", {"frame": self.a.pk})
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content))["Migratability"]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == ("LPAR", "Frame", "Kind", "p750-a", "p750-b")
        server1 = next(r for r in rows if r[0] == "server1")
        assert server1 == ("server1", "p750-a", "aix", "own frame", "blocked: MEMORY_REGION")
        assert sheet.conditional_formatting  # coloured by verdict

    def test_a_matrix_too_large_to_download_is_refused_with_the_way_out(self):
        with patch("planning.matrix.MAX_EXPORT_CELLS", 10):
            response = self.client.get("/planning/matrix/export.xlsx", follow=True)
        body = response.content.decode()
        assert response.redirect_chain[-1][0].startswith("/planning/matrix/")
        refusal = "7 LPARs × 2 frames = 14 cells; a direct download holds at most 10."
        assert refusal in body
        assert "Prepare the file instead" in body and "Prepare xlsx of any size" in body

    def test_a_planner_plans_an_evacuation_and_moves_an_lpar_by_hand(self):
        used = sum(p.memory_mb for p in self.b.lpars.all())
        Frame.objects.filter(pk=self.b.pk).update(memory_mb=used + 22 * 1024)
        response = self.client.post(
            f"/planning/frames/{self.a.pk}/evacuation/",
            {"policy": "pack", "vios_limit": 4},
            follow=True,
        )
        plan = EvacuationPlan.objects.get()
        assert response.redirect_chain[-1][0] == f"/planning/evacuation-plans/{plan.pk}/"
        body = response.content.decode()
        assert "3</strong> LPARs placed in 1 wave" in body
        assert "Fits on none of 1 frame: CAPACITY_MEMORY on 1 frame." in body
        assert "lnx1 needs 4 GB of memory; p750-b has 2 GB free." in body  # when its turn came
        lnx1 = Lpar.objects.get(name="lnx1")
        refused = self.client.post(
            f"/planning/evacuation-plans/{plan.pk}/move/",
            {"lpar": lnx1.pk, "destination_frame": self.b.pk},
            follow=True,
        )
        assert "lnx1 cannot go to p750-b: lnx1 needs 4 GB" in refused.content.decode()
        Frame.objects.filter(pk=self.b.pk).update(memory_mb=used + 64 * 1024)
        moved = self.client.post(
            f"/planning/evacuation-plans/{plan.pk}/move/",
            {"lpar": lnx1.pk, "destination_frame": self.b.pk},
            follow=True,
        )
        assert "lnx1 now goes to p750-b in wave 1." in moved.content.decode()
        assert "by hand" in moved.content.decode()

    def test_the_planning_page_leads_to_the_matrix_and_the_evacuations(self):
        body = self.client.get("/planning/").content.decode()
        assert "/planning/matrix/" in body
        response = self.client.get("/planning/evacuation/", {"frame": self.a.pk})
        assert response.status_code == 302
        assert response["Location"] == f"/planning/frames/{self.a.pk}/evacuation/"
        frame_page = self.client.get(f"/inventory/frames/{self.a.pk}/").content.decode()
        assert f"/planning/frames/{self.a.pk}/evacuation/" in frame_page

    def test_a_viewer_sees_plans_but_cannot_make_or_move_them(self):
        self.client.force_login(self.viewer)
        page = self.client.get(f"/planning/frames/{self.a.pk}/evacuation/").content.decode()
        assert "needs the Planner role" in page
        post = self.client.post(f"/planning/frames/{self.a.pk}/evacuation/", {"policy": "pack"})
        assert post.status_code == 403
        assert not EvacuationPlan.objects.exists()
