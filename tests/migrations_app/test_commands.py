"""Commands are built from checked values: names that could inject are refused, clearly."""

from decimal import Decimal

import pytest

from migrations_app.hmc import commands
from migrations_app.hmc.errors import HmcCommandError


@pytest.mark.parametrize(
    "name", ["db;reboot", 'a"b', "a'b", "x$(id)", "x`id`", "a\nb", "a|b", "-o", "", "a&&b"]
)
def test_injection_in_a_partition_name_is_refused(name):
    with pytest.raises(HmcCommandError, match="not something the HMC accepts"):
        commands.migrlpar(operation="v", source="p750-a", destination="p750-b", lpar=name)


@pytest.mark.parametrize("system", ["p750;reboot", 'p"750', "$(reboot)"])
def test_injection_in_a_system_name_is_refused(system):
    with pytest.raises(HmcCommandError):
        commands.lssyscfg_lpar(system=system)


@pytest.mark.parametrize(
    "attributes",
    [
        {"dest_lpar_id": "12,shared_proc_pool_id=3"},  # a comma would add an attribute
        {"dest_lpar_id": "1=2"},
        {"dest_lpar_id": 'x"y'},
        {"virtual_fc_mappings": ['3//1/30/fcs0"', "4//2"]},
        {"virtual_fc_mappings": ["none"]},
        {"bad name": "1"},
        {"virtual_fc_mappings": []},
    ],
)
def test_attribute_values_the_hmc_would_misread_are_refused(attributes):
    with pytest.raises(HmcCommandError):
        commands.attributes_render(attributes)


DEDICATED_PARTITION = {
    "name": "x",
    "profile_name": "default",
    "lpar_env": "aixlinux",
    "min_mem": 1024,
    "desired_mem": 2048,
    "max_mem": 4096,
    "proc_mode": "ded",
    "min_procs": 1,
    "desired_procs": 2,
    "max_procs": 4,
    "sharing_mode": "keep_idle_procs",
}


def test_numbers_and_operations_are_checked():
    with pytest.raises(HmcCommandError, match="1 to 32767"):
        commands.mksyscfg_lpar(system="p750-a", attributes=DEDICATED_PARTITION | {"lpar_id": 40000})
    with pytest.raises(HmcCommandError, match="v, m, s, r"):
        commands.migrlpar(operation="x", source="a", lpar="b")
    with pytest.raises(HmcCommandError, match="destination"):
        commands.migrlpar(operation="m", source="a", lpar="b")
    with pytest.raises(HmcCommandError, match="VIOS command word"):
        commands.viosvrcmd(system="p750-a", vios="vios1", words=["lsmap", ";reboot"])


def test_a_migration_command_as_the_hmc_receives_it():
    command = commands.migrlpar(
        operation="m",
        source="8233-E8B*0654A1R",
        destination="p750-b",
        lpar="server 1",
        attributes={
            "virtual_fc_mappings": ["610//1/610/fcs0", "620//2/610/fcs0"],
            "dest_lpar_id": 10,
        },
    )
    assert command.text == (
        "migrlpar -o m -m '8233-E8B*0654A1R' -t p750-b -p 'server 1' -i "
        "'\"virtual_fc_mappings=610//1/610/fcs0,620//2/610/fcs0\",dest_lpar_id=10'"
    )


def test_a_new_partition_without_what_the_hmc_requires_is_refused_before_it_is_sent():
    assert commands.mksyscfg_lpar(system="p750-a", attributes=DEDICATED_PARTITION).argv[:5] == (
        "mksyscfg",
        "-r",
        "lpar",
        "-m",
        "p750-a",
    )
    with pytest.raises(HmcCommandError, match="needs min_mem"):
        commands.mksyscfg_lpar(
            system="p750-a",
            attributes={k: v for k, v in DEDICATED_PARTITION.items() if k != "min_mem"},
        )
    shared = DEDICATED_PARTITION | {"proc_mode": "shared", "sharing_mode": "uncap"}
    with pytest.raises(HmcCommandError, match="min_proc_units, desired_proc_units"):
        commands.mksyscfg_lpar(system="p750-a", attributes=shared)


def test_an_ethernet_element_keeps_its_pvid_and_sends_tagged_vlans_and_the_vswitch():
    assert commands.virtual_eth_element(slot=10, pvid=400) == "10/0/400//0/1/ETHERNET0"
    tagged = commands.virtual_eth_element(
        slot=11, pvid=1, tagged_vlans=[402, 400, 1], vswitch="ETHERNET1"
    )
    assert tagged == "11/1/1/400,402/0/1/ETHERNET1"
    rendered = commands.attributes_render({"virtual_eth_adapters": [tagged, "12/0/5//0/1/X"]})
    assert rendered == '"virtual_eth_adapters=""11/1/1/400,402/0/1/ETHERNET1"",12/0/5//0/1/X"'


def test_a_vfc_element_has_seven_fields_with_the_wwpns_left_to_the_hmc():
    element = commands.virtual_fc_element(
        slot=610, remote_lpar_id=1, remote_lpar_name="vios1", remote_slot=610
    )
    assert element == "610/client/1/vios1/610//1"
    assert len(element.split("/")) == 7


def test_a_new_shared_partition_gets_its_minimum_desired_and_maximum_from_the_plan():
    attributes = commands.mksyscfg_lpar_attributes(
        name="server1-stub",
        lpar_id=110,
        profile_name="default",
        kind="aix",
        memory_mb=3000,
        memory_region_mb=256,
        dedicated=False,
        proc_units=Decimal("0.5"),
        virtual_procs=2,
        shared_pool="prod",
        compat_mode="POWER8",
        max_virtual_slots=1000,
        scsi=["210/client/1/vios1/210/1"],
    )
    assert attributes == {
        "name": "server1-stub",
        "lpar_id": 110,
        "profile_name": "default",
        "lpar_env": "aixlinux",
        "min_mem": 1280,
        "desired_mem": 3000,
        "max_mem": 6000,
        "proc_mode": "shared",
        "min_procs": 1,
        "desired_procs": 2,
        "max_procs": 4,
        "min_proc_units": "0.1",
        "desired_proc_units": "0.5",
        "max_proc_units": "4",
        "sharing_mode": "uncap",
        "uncap_weight": 128,
        "shared_proc_pool_name": "prod",
        "lpar_proc_compat_mode": "POWER8",
        "max_virtual_slots": 1000,
        "virtual_scsi_adapters": ["210/client/1/vios1/210/1"],
    }
    # and the command that carries them is one the HMC accepts
    assert commands.mksyscfg_lpar(system="p750-b", attributes=attributes).argv[:5] == (
        "mksyscfg",
        "-r",
        "lpar",
        "-m",
        "p750-b",
    )


def test_a_new_dedicated_vios_keeps_idle_processors_and_at_least_one_memory_region():
    attributes = commands.mksyscfg_lpar_attributes(
        name="vios3",
        lpar_id=3,
        profile_name="default",
        kind="vios",
        memory_mb=256,
        memory_region_mb=256,
        dedicated=True,
        proc_units=Decimal("2"),
        virtual_procs=2,
        shared_pool=None,
        compat_mode="default",
        max_virtual_slots=1000,
    )
    assert attributes["lpar_env"] == "vioserver"
    assert attributes["min_mem"] == 256
    assert attributes["sharing_mode"] == "keep_idle_procs"
    assert "min_proc_units" not in attributes
    assert not any(name.startswith("virtual_") for name in attributes)
