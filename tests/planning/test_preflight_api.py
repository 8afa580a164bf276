"""The pre-flight API: an LPAR's migratability and evacuation plans, each response checked
against the OpenAPI schema; bad input answers 400 naming the field, roles are enforced."""

from rest_framework.test import APIClient

from inventory.models import Frame, Lpar
from planning.models import EvacuationPlan
from tests.factories import user_create
from tests.planning.helpers import DemoTestCase, assert_matches_schema


class PreflightApi(DemoTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.planner = user_create("paul", role="Planner")
        cls.viewer = user_create("vera", role="Viewer")

    def setUp(self) -> None:
        self.api = APIClient()
        self.api.force_authenticate(self.planner)
        response = self.api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        self.schema = response.json()

    def test_migratability_of_server1(self):
        response = self.api.get(f"/api/lpars/{self.server1.pk}/migratability/")
        assert response.status_code == 200
        body = response.json()
        assert_matches_schema(self.schema, "/api/lpars/{id}/migratability/", "get", 200, body)
        (destination,) = body["destinations"]
        assert destination["frame"]["display"] == "p750-b"
        assert (destination["verdict"], destination["findings"]) == ("ok", [])
        assert destination["free_memory_mb_after"] > 0

    def test_migratability_lists_the_findings_with_their_data(self):
        Frame.objects.filter(pk=self.b.pk).update(memory_region_mb=128)
        body = self.api.get(f"/api/lpars/{self.server1.pk}/migratability/").json()
        assert_matches_schema(self.schema, "/api/lpars/{id}/migratability/", "get", 200, body)
        (destination,) = body["destinations"]
        assert destination["verdict"] == "blocked"
        assert destination["findings"] == [
            {
                "code": "MEMORY_REGION",
                "severity": "error",
                "message": "The memory region size of p750-b is 128 MB, of p750-a 256 MB: "
                "LPM needs them equal.",
                "data": {"source_mb": 256, "destination_mb": 128},
            }
        ]

    def test_a_bad_mobility_is_a_400_naming_the_field(self):
        response = self.api.get(f"/api/lpars/{self.server1.pk}/migratability/?mobility=fast")
        assert response.status_code == 400
        assert "mobility" in response.json()

    def test_migratability_of_an_unknown_lpar_is_a_404(self):
        assert self.api.get("/api/lpars/999999/migratability/").status_code == 404

    def test_an_evacuation_plan_is_created_saved_and_read_again(self):
        response = self.api.post(
            f"/api/frames/{self.a.pk}/evacuation-plan/", {"policy": "pack", "vios_limit": 2}
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert_matches_schema(self.schema, "/api/frames/{id}/evacuation-plan/", "post", 201, body)
        assert (body["frame"]["display"], body["policy"], body["created_by"]) == (
            "p750-a",
            "pack",
            "paul",
        )
        assert (body["placed"], body["unplaced"], body["waves"], body["vios_limit"]) == (4, 0, 1, 2)
        assert [p["lpar"]["display"] for p in body["placements"]] == [
            "db1",
            "server2",
            "lnx1",
            "server1",
        ]
        again = self.api.get(f"/api/evacuation-plans/{body['id']}/")
        assert_matches_schema(self.schema, "/api/evacuation-plans/{id}/", "get", 200, again.json())
        assert again.json() == body
        listed = self.api.get(f"/api/evacuation-plans/?frame={self.a.pk}").json()
        assert_matches_schema(self.schema, "/api/evacuation-plans/", "get", 200, listed)
        assert [p["id"] for p in listed["results"]] == [body["id"]]

    def test_an_unplaced_lpar_reads_with_its_reasons(self):
        used = sum(p.memory_mb for p in self.b.lpars.all())
        Frame.objects.filter(pk=self.b.pk).update(memory_mb=used + 20 * 1024)
        body = self.api.post(f"/api/frames/{self.a.pk}/evacuation-plan/", {}).json()
        assert_matches_schema(self.schema, "/api/frames/{id}/evacuation-plan/", "post", 201, body)
        unplaced = [p for p in body["placements"] if p["destination"] is None]
        assert [p["lpar"]["display"] for p in unplaced] == ["lnx1", "server1"]
        assert unplaced[0]["summary"] == "Fits on none of 1 frame: CAPACITY_MEMORY on 1 frame."
        assert unplaced[0]["reasons"][0]["findings"][0]["code"] == "CAPACITY_MEMORY"

    def test_a_move_is_refused_with_the_reason_or_made(self):
        used = sum(p.memory_mb for p in self.b.lpars.all())
        Frame.objects.filter(pk=self.b.pk).update(memory_mb=used + 20 * 1024)
        plan = self.api.post(f"/api/frames/{self.a.pk}/evacuation-plan/", {}).json()
        lnx1 = Lpar.objects.get(name="lnx1")
        move = f"/api/evacuation-plans/{plan['id']}/move/"
        refused = self.api.post(move, {"lpar": lnx1.pk, "destination_frame": self.b.pk})
        assert refused.status_code == 400
        assert refused.json() == {
            "destination_frame": ["lnx1 needs 4 GB of memory; p750-b has 0 GB free."]
        }
        Frame.objects.filter(pk=self.b.pk).update(memory_mb=used + 64 * 1024)
        made = self.api.post(move, {"lpar": lnx1.pk, "destination_frame": self.b.pk})
        assert made.status_code == 200
        assert_matches_schema(
            self.schema, "/api/evacuation-plans/{id}/move/", "post", 200, made.json()
        )
        (lnx1_placement,) = [p for p in made.json()["placements"] if p["lpar"]["id"] == lnx1.pk]
        assert lnx1_placement["adjusted"] and lnx1_placement["wave"] == 1
        bad = self.api.post(move, {"lpar": "x", "destination_frame": self.b.pk})
        assert bad.status_code == 400 and "lpar" in bad.json()

    def test_bad_inputs_name_the_field(self):
        response = self.api.post(
            f"/api/frames/{self.a.pk}/evacuation-plan/", {"policy": "random", "vios_limit": 9}
        )
        assert response.status_code == 400
        assert set(response.json()) == {"policy", "vios_limit"}
        response = self.api.post(
            f"/api/frames/{self.a.pk}/evacuation-plan/", {"destinations": [self.a.pk]}
        )
        assert response.status_code == 400
        assert response.json() == {
            "destinations": ["p750-a is the frame being emptied: it cannot receive."]
        }
        assert not EvacuationPlan.objects.exists()  # nothing half written

    def test_a_viewer_reads_but_does_not_plan(self):
        self.api.force_authenticate(self.viewer)
        assert self.api.get(f"/api/lpars/{self.server1.pk}/migratability/").status_code == 200
        assert self.api.post(f"/api/frames/{self.a.pk}/evacuation-plan/", {}).status_code == 403
        assert self.api.get("/api/evacuation-plans/").status_code == 200
        anonymous = APIClient()
        assert anonymous.get(f"/api/lpars/{self.server1.pk}/migratability/").status_code == 401

    def test_a_vios_maximum_of_virtual_slots_is_an_lpar_field_with_its_rule(self):
        vios1 = Lpar.objects.get(frame=self.b, name="vios1")
        url = f"/api/lpars/{vios1.pk}/"
        assert self.api.get(url).json()["max_virtual_slots"] == 1000
        refused = self.api.patch(url, {"max_virtual_slots": 2})
        assert refused.status_code == 400
        assert refused.json() == {
            "max_virtual_slots": ["A partition has at least 3 virtual slots."]
        }
        assert self.api.patch(url, {"max_virtual_slots": 300}).status_code == 200
        body = self.api.get(f"/api/lpars/{self.server1.pk}/migratability/").json()
        assert body["destinations"][0]["verdict"] == "ok"  # room under 300 on p750-b's vios1
