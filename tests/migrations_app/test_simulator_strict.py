"""The simulated HMC is as strict as a real one (domain notes §1, §9, §10): what a real HMC
refuses it refuses with an HSCL code and exit status 1, and it prints what a real HMC prints."""

import asyncio
import shlex

import pytest

from migrations_app.hmc import codes
from migrations_app.hmc.parser import list_split, records_parse
from migrations_app.simulator.estate import (
    SimEstate,
    SimEth,
    SimFrame,
    SimLpar,
    SimSlot,
    SimStorage,
)
from migrations_app.simulator.hmc import SimulatedHmc
from tests.aio import awaited

WWPNS = ["c050760000000010", "c050760000000011"]


def small_estate() -> SimEstate:
    """Two POWER9 frames, a VIOS with a trunk on each; app1 (id 3) on p9-a has a tagged VLAN
    and a vFC client; id 3 is taken on p9-b; ibmi1 is Not Activated."""

    def vios(frame: str) -> SimLpar:
        return SimLpar(
            "vios1",
            1,
            "vios",
            msp=True,
            eth=[SimEth(2, 1, [400, 401], trunk_priority=1)],
            storage=[SimStorage("fc", 610, "server", 3, "app1", 610)] if frame == "a" else [],
        )

    app1 = SimLpar(
        "app1",
        3,
        "aix",
        eth=[SimEth(10, 1, [400])],
        storage=[SimStorage("fc", 610, "client", 1, "vios1", 610, list(WWPNS))],
    )
    a = SimFrame(
        "p9-a",
        "9009",
        "42A",
        "7830001",
        lpars=[
            vios("a"),
            app1,
            SimLpar(
                "ibmi1", 4, "ibmi", state="Not Activated", proc_units="1.5", procs=2, memory_mb=8192
            ),
        ],
        slots=[
            SimSlot("21010002", "U78D3.001.X-P1-C4", "U78D3.001.X", "Empty slot", empty=True),
            SimSlot(
                "21010003",
                "U78D3.001.X-P1-C5",
                "U78D3.001.X",
                "FC adapter",
                feature_codes=["EN0A"],
                lpar_id=1,
            ),
        ],
    )
    b = SimFrame("p9-b", "9009", "42A", "7830002", lpars=[vios("b"), SimLpar("db1", 3, "aix")])
    return SimEstate(frames=[a, b])


@pytest.fixture
def hmc() -> SimulatedHmc:
    return SimulatedHmc(small_estate(), migration_seconds=0.5)


def run(hmc: SimulatedHmc, line: str) -> tuple[int, str, str]:
    return awaited(hmc.execute(line))


def refused(hmc: SimulatedHmc, line: str, code: str = codes.SIM_BAD_OPTION) -> str:
    status, stdout, stderr = run(hmc, line)
    assert (status, stdout) == (1, ""), (line, stdout)
    assert stderr.startswith(f"{code} "), (line, stderr)
    return stderr


FULL_LPAR = (
    "name=new1,profile_name=default,lpar_env=aixlinux,min_mem=1024,desired_mem=2048,"
    "max_mem=4096,proc_mode=shared,min_proc_units=0.1,desired_proc_units=0.5,"
    "max_proc_units=2.0,min_procs=1,desired_procs=1,max_procs=2,sharing_mode=uncap"
)


@pytest.mark.parametrize(
    "line",
    [
        # an unknown option
        "lssyscfg -r lpar -m p9-a --bogus 1",
        "migrlpar -o v -m p9-a -t p9-b -p app1 --frobnicate",
        # a missing option value
        "lssyscfg -r lpar -m",
        "lshwres -r proc -m p9-a --level",
        # a bad number or choice
        "migrlpar -o v -m p9-a -t p9-b -p app1 -w abc",
        "migrlpar -o v -m p9-a -t p9-b -p app1 -d 6",
        "migrlpar -o v -m p9-a -t p9-b -p app1 --npivval disk",
        "migrlpar -o v -m p9-a -t p9-b -p app1 --vlanbridge 0",
        "migrlpar -o v -m p9-a -t p9-b -p app1 --mpio 3",
        "migrlpar -o v -m p9-a -t p9-b -p app1 --redundantvios yes",
        "migrlpar -o x -m p9-a -p app1",
        "lssyscfg -r frame",
        # an option given twice, a stray word
        "lssyscfg -r lpar -m p9-a -m p9-b",
        "lssyscfg -r lpar p9-a",
        # an unknown -i attribute, a field that is no attribute=value
        "migrlpar -o v -m p9-a -t p9-b -p app1 -i bogus_attr=1",
        "migrlpar -o v -m p9-a -t p9-b -p app1 -i dest_lpar_id",
        "migrlpar -o v -m p9-a -t p9-b -p app1 -i dest_lpar_id=abc",
        f"mksyscfg -r lpar -m p9-b -i {FULL_LPAR},colour=blue",
        # a malformed list element
        "migrlpar -o v -m p9-a -t p9-b -p app1 -i virtual_fc_mappings=x/vios1/1",
        "migrlpar -o v -m p9-a -t p9-b -p app1 -i virtual_fc_mappings=610/vios1/1/2/fcs0/extra",
        f"mksyscfg -r lpar -m p9-b -i {FULL_LPAR},virtual_fc_adapters=610/client/1/vios1/610/1",
        f"mksyscfg -r lpar -m p9-b -i {FULL_LPAR},virtual_eth_adapters=10/0/1",
        f"mksyscfg -r lpar -m p9-b -i {FULL_LPAR},virtual_eth_adapters=10/0/1/400/0/1",
        f"mksyscfg -r lpar -m p9-b -i {FULL_LPAR},virtual_scsi_adapters=210/bogus/1/vios1/210/1",
        # a -F attribute that does not exist, a filter that is no filter
        "lssyscfg -r sys -F name,bogus",
        "lssyscfg -r lpar -m p9-a --filter lpar_names",
        "lssyscfg -r lpar -m p9-a --filter colour=red",
        "lssyscfg -r lpar -m p9-a --filter lpar_names=app1,ibmi1",  # a list must be quoted
        # several partitions where one is meant
        "migrlpar -o r -m p9-a -p app1,ibmi1",
        "migrlpar -o v -m p9-a -t p9-b -p app1 --id 3",
    ],
)
def test_a_wrong_option_value_attribute_or_element_is_refused(hmc, line):
    refused(hmc, line)


@pytest.mark.parametrize(
    "missing",
    [
        "name",
        "profile_name",
        "lpar_env",
        "min_mem",
        "desired_mem",
        "max_mem",
        "proc_mode",
        "min_proc_units",
        "desired_proc_units",
        "max_proc_units",
        "min_procs",
        "desired_procs",
        "max_procs",
        "sharing_mode",
    ],
)
def test_mksyscfg_refuses_a_partition_without_a_required_attribute(hmc, missing):
    attributes = ",".join(f for f in FULL_LPAR.split(",") if not f.startswith(f"{missing}="))
    assert missing in refused(hmc, f"mksyscfg -r lpar -m p9-b -i {attributes}")
    assert hmc.estate.frame("p9-b").lpar("new1") is None


def test_mksyscfg_refuses_minimums_over_maximums(hmc):
    attributes = FULL_LPAR.replace("max_mem=4096", "max_mem=1536")
    assert "min_mem <= desired_mem <= max_mem" in refused(
        hmc, f"mksyscfg -r lpar -m p9-b -i {attributes}"
    )


def test_mksyscfg_creates_from_seven_field_vfc_elements_and_assigns_wwpns(hmc):
    eth = '"virtual_eth_adapters=""10/1/1/400,401/0/1/ETHERNET0"""'
    fc = '"virtual_fc_adapters=610/client/1/vios1/610//1"'
    line = f"mksyscfg -r lpar -m p9-b -i {shlex.quote(f'{FULL_LPAR},{eth},{fc}')}"
    assert run(hmc, line) == (0, "", "")
    new = hmc.estate.frame("p9-b").lpar("new1")
    assert new.state == "Not Activated"
    assert new.lpar_id == 2  # no lpar_id given: the first free one
    [adapter] = new.adapters("fc")
    assert len(adapter.wwpns) == 2 and adapter.wwpns[0].startswith("c05076")
    [profile] = records_parse(run(hmc, "lssyscfg -r prof -m p9-b --filter lpar_names=new1")[1])
    assert list_split(profile["virtual_eth_adapters"]) == ["10/1/1/400,401/0/1/ETHERNET0//all/none"]


def test_a_filter_for_a_partition_that_is_not_there_is_hscl8012(hmc):
    for command in (
        "lssyscfg -r lpar",
        "lssyscfg -r prof",
        "lslparmigr -r lpar",
        "lshwres -r virtualio --rsubtype fc --level lpar",
    ):
        stderr = refused(hmc, f"{command} -m p9-b --filter lpar_names=app1", codes.LPAR_NOT_FOUND)
        assert "app1" in stderr
    assert codes.LPAR_NOT_FOUND == "HSCL8012" and not codes.is_simulated(codes.LPAR_NOT_FOUND)


def test_an_empty_listing_without_a_name_filter_is_no_results_with_exit_0(hmc):
    assert run(hmc, "lshwres -r virtualio --rsubtype scsi --level lpar -m p9-b") == (
        0,
        "No results were found.\n",
        "",
    )
    filtered = run(
        hmc, "lshwres -r virtualio --rsubtype fc --level lpar -m p9-b --filter lpar_names=db1"
    )
    assert filtered == (0, "No results were found.\n", "")


def test_quoted_name_lists_and_profile_names_filter(hmc):
    _, out, _ = run(hmc, """lssyscfg -r lpar -m p9-a --filter '"lpar_names=app1,ibmi1"' -F name""")
    assert out == "app1\nibmi1\n"
    line = "lssyscfg -r prof -m p9-a --filter lpar_names=app1,profile_names=default -F lpar_name"
    assert run(hmc, line) == (0, "app1\n", "")
    line = "lssyscfg -r prof -m p9-a --filter lpar_names=app1,profile_names=other -F lpar_name"
    assert run(hmc, line) == (0, "No results were found.\n", "")


def test_minus_f_takes_another_delimiter_and_alone_prints_every_attribute(hmc):
    assert run(hmc, "lssyscfg -r sys -F name:state") == (
        0,
        "p9-a:Operating\np9-b:Operating\n",
        "",
    )
    _, every, _ = run(hmc, "lssyscfg -r sys -m p9-a -F")
    _, named, _ = run(hmc, "lssyscfg -r sys -m p9-a")
    assert every.strip().split(",")[:4] == ["p9-a", "9009-42A", "7830001", "Operating"]
    assert len(records_parse(named)[0]) == len(every.strip().split(","))


def test_minus_m_restricts_the_system_list(hmc):
    _, out, _ = run(hmc, "lssyscfg -r sys -m p9-b -F name")
    assert out == "p9-b\n"
    refused(hmc, "lssyscfg -r sys -m p9-z", codes.SYSTEM_NOT_FOUND)
    assert "max_active_migrations" not in run(hmc, "lssyscfg -r sys")[1]


def test_not_activated_partitions_print_zeros_and_the_profile_keeps_the_size(hmc):
    proc = records_parse(run(hmc, "lshwres -r proc -m p9-a --level lpar")[1])
    mem = records_parse(run(hmc, "lshwres -r mem -m p9-a --level lpar")[1])
    ibmi = next(r for r in proc if r["lpar_name"] == "ibmi1")
    assert (ibmi["curr_proc_units"], ibmi["curr_procs"]) == ("0.0", "0")
    assert next(r for r in mem if r["lpar_name"] == "ibmi1")["curr_mem"] == "0"
    assert next(r for r in proc if r["lpar_name"] == "app1")["curr_proc_units"] == "0.5"
    [profile] = records_parse(run(hmc, "lssyscfg -r prof -m p9-a --filter lpar_names=ibmi1")[1])
    assert (profile["desired_proc_units"], profile["desired_mem"]) == ("1.5", "8192")


def test_os_version_is_printed_and_os_type_may_be_absent(hmc):
    line = "lssyscfg -r lpar -m p9-a"
    records = {r["name"]: r for r in records_parse(run(hmc, line)[1])}
    assert records["app1"]["os_version"] == "AIX 7.2 7200-05-03-2148"
    assert records["vios1"]["os_version"].startswith("VIOS 3.1")
    assert records["ibmi1"]["os_version"].startswith("IBM i ")
    assert records["app1"]["os_type"] == "aix"
    hmc.estate.omit_os_type = True
    records = records_parse(run(hmc, line)[1])
    assert all("os_type" not in r and r["os_version"] for r in records)
    refused(hmc, f"{line} -F name,os_type")  # the older level does not know it


def test_empty_io_slots_print_feature_code_0_and_no_partition(hmc):
    slots = records_parse(run(hmc, "lshwres -r io --rsubtype slot -m p9-a")[1])
    empty = next(s for s in slots if s["drc_index"] == "21010002")
    assert empty["feature_codes"] == "0" and empty["lpar_id"] == "none"
    assert "lpar_name" not in empty
    card = next(s for s in slots if s["drc_index"] == "21010003")
    assert (card["feature_codes"], card["lpar_name"]) == ("EN0A", "vios1")


def test_profile_ethernet_elements_carry_ieee_and_the_vswitch_where_the_hmc_prints_them(hmc):
    [profile] = records_parse(run(hmc, "lssyscfg -r prof -m p9-a --filter lpar_names=app1")[1])
    assert list_split(profile["virtual_eth_adapters"]) == ["10/1/1/400/0/1/ETHERNET0//all/none"]
    [vios] = records_parse(run(hmc, "lssyscfg -r prof -m p9-b --filter lpar_names=vios1")[1])
    assert list_split(vios["virtual_eth_adapters"]) == ["2/1/1/400,401/1/1/ETHERNET0//all/none"]


def test_migrlpar_knows_the_man_page_options(hmc):
    line = (
        "migrlpar -o v -m p9-a -t p9-b --id 3 -d 5 --vlanbridge 2 --mpio 2 --redundantvios 2 "
        "--npivval portdisk -w 5 -i '\"virtual_fc_mappings=610/vios1/1/620/fcs0\"'"
    )
    assert run(hmc, line) == (0, "", "")
    assert run(hmc, "migrlpar -o v -m p9-a -t p9-b -p app1,ibmi1 --npivval port")[0] == 0


def test_vlanbridge_2_skips_the_vlan_check(hmc):
    hmc.estate.frame("p9-b").lpar("vios1").eth[0].vlans = [401]
    refused(hmc, "migrlpar -o v -m p9-a -t p9-b -p app1", codes.VLAN_NOT_BRIDGED)
    assert run(hmc, "migrlpar -o v -m p9-a -t p9-b -p app1 --vlanbridge 2")[0] == 0


def test_a_taken_id_is_replaced_by_a_free_one_unless_dest_lpar_id_was_given(hmc):
    refused(hmc, "migrlpar -o v -m p9-a -t p9-b -p app1 -i dest_lpar_id=3", codes.ID_CONFLICT)
    assert run(hmc, "migrlpar -o m -m p9-a -t p9-b -p app1") == (0, "", "")
    moved = hmc.estate.frame("p9-b").lpar("app1")
    assert moved is not None and moved.lpar_id == 2  # 3 is db1's there: the HMC chose one


def test_several_partitions_migrate_in_one_command(hmc):
    hmc.estate.frame("p9-a").lpars.append(SimLpar("app2", 5, "aix"))
    assert run(hmc, "migrlpar -o m -m p9-a -t p9-b -p app1,app2") == (0, "", "")
    assert {"app1", "app2"} <= {p.name for p in hmc.estate.frame("p9-b").lpars}


def test_a_migration_starts_before_it_is_in_progress(hmc):
    hmc.migration_seconds = 2.0

    async def watch() -> list[str]:
        task = asyncio.ensure_future(hmc.execute("migrlpar -o m -m p9-a -t p9-b -p app1"))
        states = []
        while not task.done():
            _, out, _ = await hmc.execute("lslparmigr -r lpar -m p9-a -F name,migration_state")
            states += [line.split(",")[1] for line in out.splitlines() if line.startswith("app1")]
            await asyncio.sleep(0.05)
        assert task.result() == (0, "", "")
        return list(dict.fromkeys(states))

    assert awaited(watch())[:3] == ["Not Migrating", "Migration Starting", "Migration In Progress"]


def test_lslparmigr_answers_sys_msp_virtualio_and_procpool(hmc):
    [sys] = records_parse(run(hmc, "lslparmigr -r sys -m p9-a")[1])
    assert sys["num_active_migrations_supported"] == "4"
    assert sys["num_inactive_migrations_supported"] == "4"
    assert sys["num_active_migrations_in_progress"] == "0"
    assert sys["active_lpar_mobility_capable"] == "1"
    [msp] = records_parse(run(hmc, "lslparmigr -r msp -m p9-a -t p9-b -p app1")[1])
    assert (msp["source_msp_name"], msp["dest_msp_names"]) == ("vios1", "vios1")
    [vio] = records_parse(
        run(hmc, "lslparmigr -r virtualio -m p9-a -t p9-b --filter lpar_names=app1")[1]
    )
    assert vio["suggested_virtual_fc_mappings"] == "610/vios1/1"
    [pools] = records_parse(run(hmc, "lslparmigr -r procpool -m p9-a -t p9-b -p app1")[1])
    assert pools["shared_proc_pool_names"] == "DefaultPool"
    refused(hmc, "lslparmigr -r msp -m p9-a -t p9-b")  # which partition?


def test_lshmc_v_prints_the_version_record(hmc):
    hmc.estate.hmc_version = "V9R2M951"
    status, out, _ = run(hmc, "lshmc -V")
    assert status == 0
    [record] = records_parse(out.replace("\n", " "))
    assert record["base_version"].strip() == "V9R2"
    assert "Version: 9" in record["version"] and "Service Pack: 951" in record["version"]
    refused(hmc, "lshmc -n")


def test_the_simulators_own_codes_are_in_their_range_and_real_ones_outside():
    invented = [
        value
        for name, value in vars(codes).items()
        if name.isupper()
        and isinstance(value, str)
        and value.startswith("HSCL")
        and name
        not in {
            "NPIV_NOT_HOSTED",
            "NOT_SUPPORTED",
            "REMOTE_HMC_NO_TRUST",
            "LPAR_NOT_FOUND",
            "NO_AUTHORITY",
        }
        and name != "SIM_RANGE"
    ]
    assert invented and all(codes.is_simulated(code) for code in invented)
    assert len(set(invented)) == len(invented)
    for real in ("HSCLA319", "HSCLA4C0", "HSCL3653", "HSCL8012", "HSCL350B"):
        assert not codes.is_simulated(real)
