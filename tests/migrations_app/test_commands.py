"""Commands are built from checked values: names that could inject are refused, clearly."""

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


def test_numbers_and_operations_are_checked():
    with pytest.raises(HmcCommandError, match="1 to 32767"):
        commands.mksyscfg_lpar(system="p750-a", attributes={"name": "x", "lpar_id": 40000})
    with pytest.raises(HmcCommandError, match="v, m, s, r"):
        commands.migrlpar(operation="x", source="a", lpar="b")
    with pytest.raises(HmcCommandError, match="destination"):
        commands.migrlpar(operation="m", source="a", lpar="b")
    with pytest.raises(HmcCommandError, match="VIOS command word"):
        commands.viosvrcmd(system="p750-a", vios="vios1", words=["lsmap", ";reboot"])


def test_a_migration_command_as_the_hmc_receives_it():
    command = commands.migrlpar(
        operation="m", source="8233-E8B*0654A1R", destination="p750-b", lpar="server 1",
        attributes={"virtual_fc_mappings": ["610//1/610/fcs0", "620//2/610/fcs0"],
                    "dest_lpar_id": 10},
    )  # fmt: skip
    assert command.text == (
        "migrlpar -o m -m '8233-E8B*0654A1R' -t p750-b -p 'server 1' -i "
        "'\"virtual_fc_mappings=610//1/610/fcs0,620//2/610/fcs0\",dest_lpar_id=10'"
    )
