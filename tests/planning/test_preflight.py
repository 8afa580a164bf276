"""Pre-flight checks: every finding code, with an estate that triggers it and the demo estate
(where server1 moves from p750-a to p750-b without a finding) that does not; the worked example;
the index's fixed number of queries."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.choices import FrameState, LparState
from inventory.models import (
    Adapter,
    Fabric,
    Frame,
    Hmc,
    Lpar,
    SharedProcessorPool,
    Slot,
    VirtualAdapter,
    Vlan,
    Wwpn,
)
from planning.choices import Severity
from planning.preflight import (
    CODES,
    EstateIndex,
    Preflight,
    PreflightOptions,
    Verdict,
    lpar_migratability,
    preflight_check,
    verdict_of,
)
from tests.factories import LparFactory
from tests.planning.helpers import DemoTestCase


def findings(lpar_name="server1", frame_name="p750-b", **options):
    lpar = Lpar.objects.get(name=lpar_name, frame__name="p750-a")
    frame = Frame.objects.get(name=frame_name)
    return preflight_check(lpar=lpar, destination=frame, options=PreflightOptions(**options))


def codes(found) -> set[str]:
    return {f.code for f in found}


def _frame(name: str, **fields) -> None:
    Frame.objects.filter(name=name).update(**fields)


def _server1(**fields) -> None:
    Lpar.objects.filter(name="server1").update(**fields)


def _unbridge_400(_):
    trunks = VirtualAdapter.objects.filter(lpar__frame__name="p750-b", role="trunk")
    for trunk in trunks:
        trunk.vlans.remove(Vlan.objects.get(vlan_id=400))


def _physical_io(_):
    slot = Slot.objects.get(drawer__frame__name="p750-a", location="P1-C5", drawer__kind="cec")
    Adapter.objects.create(slot=slot, kind="ethernet", owner=Lpar.objects.get(name="server1"))


def _no_fc_on_destination(_):
    Adapter.objects.filter(slot__drawer__frame__name="p750-b", kind="fc").delete()


def _one_fc_vios(_):
    Adapter.objects.filter(owner__frame__name="p750-b", owner__name="vios1", kind="fc").delete()


def _half_pair(_):
    Wwpn.objects.filter(
        virtual_adapter__lpar__name="server1", virtual_adapter__slot=610, position=2
    ).delete()


def _other_fabric(_):
    fabric = Fabric.objects.create(name="FAB_C", side="A", vendor="brocade")
    Wwpn.objects.filter(virtual_adapter__lpar__name="server1").update(fabric=fabric)


def _lpar_id_taken(_):
    b = Frame.objects.get(name="p750-b")
    Lpar.objects.create(
        frame=b,
        name="vios10",
        lpar_id=10,
        kind="vios",
        proc_units=1,
        virtual_procs=1,
        memory_mb=4096,
    )


def _pool(_):
    a = Frame.objects.get(name="p750-a")
    pool = SharedProcessorPool.objects.create(frame=a, pool_id=5, name="prod")
    _server1(shared_pool=pool)


def _used(frame_name: str, field: str):
    return sum(getattr(p, field) for p in Lpar.objects.filter(frame__name=frame_name))


def _no_capacity(name: str):
    def apply(_):
        if name == "proc":
            _frame("p750-b", proc_units=_used("p750-b", "proc_units") + Decimal("0.5"))
        else:
            _frame("p750-b", memory_mb=_used("p750-b", "memory_mb") + 1024)

    return apply


def _other_hmc(_):
    """p750-b moves to an HMC of its own."""
    other = Hmc.objects.create(name="hmc-b", host="10.0.0.2", username="hscroot")
    Frame.objects.filter(name="p750-b").update(hmc=other)


def _twin_on_p750b(_):
    """app1 of p750-b becomes a twin of server1 (as a sync may find it)."""
    Lpar.objects.filter(name="app1").update(stub_of=Lpar.objects.get(name="server1"))


# code → (change to the demo estate, the keyword arguments of `findings`)
TRIGGERS = {
    "LPAR_IS_VIOS": (None, {"lpar_name": "vios1"}),
    "LPAR_STATE": (lambda _: _server1(state=LparState.OPEN_FIRMWARE), {}),
    "LPAR_MIGRATING": (lambda _: _server1(state=LparState.MIGRATING_RUNNING), {}),
    "SAME_FRAME": (None, {"frame_name": "p750-a"}),
    "PHYSICAL_IO": (_physical_io, {}),
    "FRAME_STATE": (lambda _: _frame("p750-b", state=FrameState.STANDBY), {}),
    "CAPACITY_PROC": (_no_capacity("proc"), {}),
    "CAPACITY_MEMORY": (_no_capacity("memory"), {}),
    "MEMORY_REGION": (lambda _: _frame("p750-b", memory_region_mb=128), {}),
    "COMPAT_MODE": (
        lambda _: (_server1(compat_mode="POWER7"), _frame("p750-b", compat_modes=["POWER6"])),
        {},
    ),
    "VLAN_NOT_BRIDGED": (_unbridge_400, {}),
    "NO_VIOS_FOR_ADAPTER": (_no_fc_on_destination, {}),
    "NPIV_PAIR_INCOMPLETE": (_half_pair, {}),
    "NPIV_FABRIC": (_other_fabric, {}),
    "VIOS_REDUNDANCY": (_one_fc_vios, {}),
    "VIOS_SLOTS": (
        lambda _: Lpar.objects.filter(frame__name="p750-b", kind="vios").update(
            max_virtual_slots=3
        ),
        {},
    ),
    "NAME_IN_USE": (lambda _: Lpar.objects.filter(name="app1").update(name="server1"), {}),
    "LPAR_ID_IN_USE": (_lpar_id_taken, {}),
    "NO_MSP_SOURCE": (
        lambda _: Lpar.objects.filter(frame__name="p750-a", kind="vios").update(msp=False),
        {},
    ),
    "NO_MSP_DESTINATION": (
        lambda _: Lpar.objects.filter(frame__name="p750-b", kind="vios").update(msp=False),
        {},
    ),
    "SHARED_POOL_MISSING": (_pool, {}),
    "MIGRATION_LIMIT": (None, {"running_by_frame": {"__p750-b__": 4}}),
    "REMOTE_HMC": (_other_hmc, {}),
    "TWIN_SAME_FRAME": (_twin_on_p750b, {}),
}


class FindingCodes(DemoTestCase):
    """Each code: absent in the demo estate, found once its rule is broken."""

    def test_every_code_has_a_trigger_and_a_meaning(self):
        assert set(TRIGGERS) == set(CODES)

    def test_the_worked_example_moves_without_a_finding(self):
        found = findings()
        assert found == []
        assert verdict_of(found) == Verdict.OK

    def code_check(self, code: str) -> None:
        change, kwargs = TRIGGERS[code]
        assert code not in codes(findings())
        if change:
            change(None)
        options = None
        if "running_by_frame" in kwargs:
            kwargs = {"running_by_frame": {self.b.pk: 4}}
            options = PreflightOptions(running_by_frame=kwargs["running_by_frame"])
        found = findings(**kwargs)
        assert code in codes(found), found
        finding = next(f for f in found if f.code == code)
        warnings = (
            "LPAR_ID_IN_USE",
            "VIOS_REDUNDANCY",
            "MIGRATION_LIMIT",
            "REMOTE_HMC",
            "TWIN_SAME_FRAME",
        )
        expected = Severity.WARNING if code in warnings else Severity.ERROR
        assert finding.severity == expected
        assert any(name in finding.message for name in ("server1", "p750-b", "p750-a", "vios1"))
        self.matrix_agrees(options)

    def matrix_agrees(self, options: PreflightOptions | None) -> None:
        """The matrix (verdicts and codes kept per kind of LPAR) shows for every pair what the
        pre-flight of that pair finds."""
        checked = Preflight(EstateIndex.load(), options)
        matrix = Preflight(EstateIndex.load(), options)
        frame_pks = list(checked.index.frames)
        for lpar_pk in checked.index.lpars:
            expected = []
            for frame_pk in frame_pks:
                result = checked.check(lpar_pk, frame_pk)
                expected.append(
                    (result.verdict, tuple(dict.fromkeys(f.code for f in result.findings)))
                )
            assert matrix.outcomes(lpar_pk, frame_pks) == expected


def _code_test(code: str):
    def test(self):
        self.code_check(code)

    test.__doc__ = f"{code}: {CODES[code]}"
    return test


for _code in TRIGGERS:
    setattr(FindingCodes, f"test_{_code.lower()}", _code_test(_code))


class WorkedExample(DemoTestCase):
    def test_a_taken_lpar_id_only_warns(self):
        _lpar_id_taken(None)
        found = findings()
        assert codes(found) == {"LPAR_ID_IN_USE"}
        assert verdict_of(found) == Verdict.WARNINGS
        assert "LPAR id 10 is taken on p750-b" in found[0].message

    def test_a_destination_on_another_hmc_only_warns_naming_both_hmcs(self):
        _other_hmc(None)
        found = findings()
        assert [(f.code, f.severity) for f in found] == [("REMOTE_HMC", Severity.WARNING)]
        assert verdict_of(found) == Verdict.WARNINGS
        assert found[0].message == (
            "p750-b is managed by HMC hmc-b, p750-a by HMC hmc-sim: the migration runs on "
            "hmc-sim and names hmc-b (--ip/-u); whether hmc-sim may log in to hmc-b with its SSH "
            "key is checked when the job runs."
        )
        assert found[0].data == {"source_hmc": "hmc-sim", "destination_hmc": "hmc-b"}

    def test_a_pair_on_a_fabric_the_vios_does_not_reach_names_both(self):
        _other_fabric(None)
        found = [f.message for f in findings() if f.code == "NPIV_FABRIC"]
        assert found[0] == (
            "vFC slot 610 of server1: its WWPNs are on FAB_C, which the FC ports of vios1 do not "
            "reach (they reach FAB_A, FAB_B)."
        )

    def test_the_vios_that_reaches_the_fabric_serves_the_pair(self):
        # vios1 of p750-b loses its FC cards: vios2 reaches both fabrics, so it takes vios1's
        # paths as well as its own; nothing blocks, one VIOS carrying it all is a warning.
        _one_fc_vios(None)
        found = findings()
        assert [(f.code, f.message) for f in found] == [
            (
                "VIOS_REDUNDANCY",
                "The storage of server1 goes through 2 VIOS on its frame but through vios2 only on "
                "p750-b.",
            )
        ]
        assert verdict_of(found) == Verdict.WARNINGS

    def test_messages_name_the_objects_and_the_numbers(self):
        _frame("p750-b", memory_mb=_used("p750-b", "memory_mb") + 1024)
        (memory,) = [f for f in findings() if f.code == "CAPACITY_MEMORY"]
        assert memory.message == "server1 needs 2 GB of memory; p750-b has 1 GB free."
        assert memory.data == {"needed_mb": 2048, "free_mb": 1024}

    def test_server1_cannot_move_once_p750b_lacks_vlan_400(self):
        _unbridge_400(None)
        found = findings()
        assert verdict_of(found) == Verdict.BLOCKED
        assert [f.message for f in found] == [
            "VLAN 400 of server1 is bridged by no VIOS trunk adapter on p750-b."
        ]

    def test_server1_cannot_move_once_p750b_lacks_memory(self):
        LparFactory(frame=self.b, name="hog", lpar_id=99, memory_mb=220 * 1024)
        assert codes(findings()) == {"CAPACITY_MEMORY"}

    def test_mobility_must_match_the_state(self):
        assert codes(findings(mobility="inactive")) == {"LPAR_STATE"}
        ibmi = Lpar.objects.get(name="ibmi1")  # Not Activated: inactive mobility, no MSP needed
        Lpar.objects.filter(frame__name="p750-a", kind="vios").update(msp=False)
        assert preflight_check(lpar=ibmi, destination=self.a) == []

    def test_a_migration_job_in_progress_blocks(self):
        assert codes(findings(migrating_lpars=frozenset({self.server1.pk}))) == {"LPAR_MIGRATING"}

    def test_every_msp_at_its_limit_warns_that_the_migration_will_wait(self):
        msps = list(
            Lpar.objects.filter(frame__name="p750-b", msp=True).values_list("pk", flat=True)
        )
        found = findings(running_by_vios=dict.fromkeys(msps, 4))
        assert codes(found) == {"MIGRATION_LIMIT"}
        assert verdict_of(found) == Verdict.WARNINGS and "waits in the queue" in found[0].message
        assert findings(running_by_vios=dict.fromkeys(msps[:1], 4)) == []

    def test_arrivals_already_planned_take_capacity(self):
        free = self.b.memory_mb - _used("p750-b", "memory_mb")
        assert findings(arriving_by_frame={self.b.pk: (Decimal("0"), free - 2048)}) == []
        found = findings(arriving_by_frame={self.b.pk: (Decimal("0"), free - 1024)})
        assert codes(found) == {"CAPACITY_MEMORY"}

    def test_migratability_lists_every_other_frame_with_the_capacity_left(self):
        (only,) = lpar_migratability(lpar=self.server1)
        assert only.frame == self.b and only.verdict == Verdict.OK and only.findings == []
        assert only.free_memory_mb_after == self.b.memory_mb - _used("p750-b", "memory_mb") - 2048
        assert only.free_units_after == self.b.proc_units - _used("p750-b", "proc_units") - 1

    def test_the_index_reads_the_estate_in_a_fixed_number_of_queries(self):
        with CaptureQueriesContext(connection) as small:
            EstateIndex.load()
        for n in range(5):
            LparFactory(frame=self.b, name=f"extra{n}", lpar_id=50 + n)
        with CaptureQueriesContext(connection) as larger:
            index = EstateIndex.load()
        assert len(small) == len(larger)
        preflight = Preflight(index)
        with CaptureQueriesContext(connection) as checks:
            for lpar in index.lpars:
                for frame in index.frames:
                    preflight.check(lpar, frame)
        assert len(checks) == 0
