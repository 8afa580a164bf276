"""The simulator's per-partition validation faults: each cause refused with its code (exit 1),
visible where a real HMC shows it, switched from a test, from the faults file a running
simulator reads, or by `hmc_simulator_fault`; cleared, the validation passes."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from migrations_app.hmc import codes
from migrations_app.simulator.faults import fault_set, faults_read
from migrations_app.simulator.hmc import SimulatedHmc
from tests.aio import awaited

VALIDATE_LNX2 = "migrlpar -o v -m p750-b -t p750-a -p lnx2"


@pytest.fixture
def hmc(demo_sim_estate) -> SimulatedHmc:
    return SimulatedHmc(demo_sim_estate)


def run(hmc: SimulatedHmc, line: str) -> tuple[int, str, str]:
    return awaited(hmc.execute(line))


def test_lnx2_validates_when_no_fault_is_set(hmc):
    assert run(hmc, VALIDATE_LNX2) == (0, "", "")


@pytest.mark.parametrize(
    ("cause", "code"),
    [
        ("rmc_down", codes.RMC_INACTIVE),
        ("unzoned_wwpn", codes.NPIV_NOT_HOSTED),
        ("vlan_not_bridged", codes.VLAN_NOT_BRIDGED),
    ],
)
def test_each_fault_refuses_the_validation_with_its_code(hmc, cause, code):
    hmc.lpar_faults["lnx2"] = cause
    status, out, err = run(hmc, VALIDATE_LNX2)
    assert status == 1 and out == "" and err.startswith(code)
    # Only lnx2 is refused: server1 still validates.
    assert run(hmc, "migrlpar -o v -m p750-a -t p750-b -p server1")[0] == 0
    hmc.lpar_faults.clear()
    assert run(hmc, VALIDATE_LNX2)[0] == 0


def test_rmc_down_shows_in_lssyscfg_as_on_a_real_hmc(hmc):
    hmc.lpar_faults["lnx2"] = "rmc_down"
    status, out, _ = run(hmc, "lssyscfg -r lpar -m p750-b -F name:rmc_state")
    assert status == 0 and "lnx2:inactive" in out.splitlines() and "app1:active" in out


def test_detail_level_adds_the_vios_detail_to_an_npiv_refusal(hmc):
    hmc.lpar_faults["lnx2"] = "unzoned_wwpn"
    plain = run(hmc, VALIDATE_LNX2)[2]
    detailed = run(hmc, f"{VALIDATE_LNX2} -d 5")[2]
    assert "VIOS_DETAILED_ERROR" not in plain and "VIOS_DETAILED_ERROR" in detailed
    assert run(hmc, f"{VALIDATE_LNX2} -d 6")[2].startswith(codes.SIM_BAD_OPTION)


def test_a_running_simulator_reads_its_faults_file_before_each_validation(
    demo_sim_estate, tmp_path
):
    path = tmp_path / "faults.json"
    hmc = SimulatedHmc(demo_sim_estate, faults_file=path)
    assert run(hmc, VALIDATE_LNX2)[0] == 0
    fault_set("lnx2", "rmc_down", path)
    assert run(hmc, VALIDATE_LNX2)[2].startswith(codes.RMC_INACTIVE)
    fault_set("lnx2", None, path)
    assert run(hmc, VALIDATE_LNX2)[0] == 0
    path.write_text("{half", encoding="utf-8")  # a half-written file: the last faults stay
    assert run(hmc, VALIDATE_LNX2)[0] == 0


def test_the_fault_command_sets_and_clears_a_fault(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("hmc_simulator_fault", "lnx2", "vlan_not_bridged")
    assert faults_read() == {"lnx2": "vlan_not_bridged"}
    call_command("hmc_simulator_fault", "lnx2", "--clear")
    assert json.loads((tmp_path / "hmc_simulator_faults.json").read_text()) == {}
    with pytest.raises(CommandError, match="a partition and a cause"):
        call_command("hmc_simulator_fault", "lnx2")
