"""The output parser against what real HMCs print (§1.4 and §9), and builder ↔ parser round
trips of the `-i` attribute format."""

import shlex

from hypothesis import given
from hypothesis import strategies as st

from migrations_app.hmc.client import HmcClient
from migrations_app.hmc.commands import Command, attributes_render, migrlpar
from migrations_app.hmc.errors import HmcError
from migrations_app.hmc.parser import (
    int_or_none,
    list_split,
    positional_parse,
    profile_eth_parse,
    profile_fc_parse,
    profile_io_slot_parse,
    profile_scsi_parse,
    records_parse,
    value_or_none,
    wwpns_parse,
)

PROFILE = (
    "name=normal,lpar_name=aix01,lpar_id=3,lpar_env=aixlinux,desired_mem=4096,"
    '"virtual_eth_adapters=""2/1/1/3,4,5/0/1""",'
    '"virtual_scsi_adapters=2/client/2/vios1/2/1,3/server/any//any/1",'
    '"virtual_fc_adapters=""504/client/2/vios1/8/c050760431670010,c050760431670011/1"",'
    '""604/client/3/vios2/9/c050760431670012,c050760431670013/1""",'
    '"virtual_serial_adapters=0/server/1/any//any/1",io_slots=21010002/none/1'
)


def test_a_profile_record_with_every_list_format():
    [record] = records_parse(PROFILE)
    [eth] = map(profile_eth_parse, list_split(record["virtual_eth_adapters"]))
    assert (eth.slot, eth.pvid, eth.tagged_vlans, eth.trunk_priority) == (2, 1, (3, 4, 5), 0)
    scsi = [profile_scsi_parse(e) for e in list_split(record["virtual_scsi_adapters"])]
    assert scsi[0].role == "client" and scsi[0].remote_lpar_name == "vios1"
    assert (scsi[1].role, scsi[1].remote_lpar_id, scsi[1].remote_slot) == ("server", None, None)
    fc = [profile_fc_parse(e) for e in list_split(record["virtual_fc_adapters"])]
    assert [a.slot for a in fc] == [504, 604]
    assert fc[0].wwpns == ("c050760431670010", "c050760431670011")
    assert fc[1].remote_lpar_name == "vios2"
    assert list(map(profile_io_slot_parse, list_split(record["io_slots"]))) == ["21010002"]


class CannedTransport:
    """Answers every command with one captured output."""

    def __init__(self, output: str) -> None:
        self.output = output
        self.commands: list[str] = []

    def run(self, command: Command, *, timeout: float | None = None) -> str:
        self.commands.append(command.text)
        return self.output

    def close(self) -> None:
        pass


def test_max_virtual_slots_of_every_profile_whatever_its_adapter_lists_hold():
    second = (
        "name=maintenance,lpar_name=aix01,lpar_id=3,max_virtual_slots=64,"
        '"virtual_eth_adapters=""not/a/number""",io_slots=none'
    )
    vios = "name=default,lpar_name=vios1,lpar_id=1,max_virtual_slots=lots"
    transport = CannedTransport(
        PROFILE.replace("desired_mem=4096,", "desired_mem=4096,max_virtual_slots=256,")
        + f"\n{second}\n{vios}\nname=old,lpar_name=aix02,lpar_id=4\n"
    )
    profiles = HmcClient(transport).profile_slots(system="p750-a")
    assert [(p.lpar_name, p.name, p.max_virtual_slots) for p in profiles] == [
        ("aix01", "normal", "256"),
        ("aix01", "maintenance", "64"),
        ("vios1", "default", "lots"),  # judged by discovery, not here
        ("aix02", "old", None),  # absent: nothing to compare
    ]
    assert transport.commands == ["lssyscfg -r prof -m p750-a"]


def test_the_wwpn_pair_of_a_vfc_client_quoted_once_or_doubled():
    text = (
        "lpar_name=aix01,lpar_id=3,slot_num=504,adapter_type=client,state=1,is_required=1,"
        "remote_lpar_id=1,remote_lpar_name=vios1,remote_slot_num=8,"
        '"wwpns=C050760431670010,c050760431670011"\n'
        "lpar_name=aix02,lpar_id=4,slot_num=604,adapter_type=client,remote_lpar_id=2,"
        'remote_lpar_name=vios2,remote_slot_num=9,"wwpns=""c050760431670012,c050760431670013"""\n'
        "lpar_name=vios1,lpar_id=1,slot_num=8,adapter_type=server,remote_lpar_id=3,"
        "remote_lpar_name=aix01,remote_slot_num=504\n"
    )
    adapters = HmcClient(CannedTransport(text)).virtual_fc_adapters(system="p750-a")
    assert [(a.lpar_name, a.slot, a.wwpns) for a in adapters] == [
        ("aix01", 504, ("c050760431670010", "c050760431670011")),
        ("aix02", 604, ("c050760431670012", "c050760431670013")),
        ("vios1", 8, ()),  # a server adapter has no WWPNs
    ]
    assert wwpns_parse("none") == () and wwpns_parse(None) == ()
    assert wwpns_parse("c050760431670010") == ("c050760431670010",)  # one is kept as one


def test_a_trunk_adapter_with_newer_trailing_fields():
    eth = profile_eth_parse("6/0/6//2/1/ETHERNET0/ABCDEF012345/all/0")
    assert (eth.slot, eth.pvid, eth.tagged_vlans, eth.trunk_priority) == (6, 6, (), 2)
    assert eth.vswitch == "ETHERNET0"


def test_no_results_is_an_empty_answer_not_an_error():
    assert records_parse("No results were found.\n") == []
    assert positional_parse("No results were found.\n", ["name"]) == []


def test_absent_fields_unknown_fields_and_utf8_locale_text():
    text = (
        "unit_phys_loc=U787A.001.DNZ00XG,drc_index=21010002,description=Puste gniazdo,"
        "lpar_id=none,brand_new_field=42\n"
        "drc_index=21010003,description=Magistrala szeregowa Fibre Channel,lpar_name=vios1,"
        'lpar_id=1,"feature_codes=5735,5273"\n'
    )
    first, second = records_parse(text)
    assert "lpar_name" not in first and int_or_none(first["lpar_id"]) is None
    assert first["brand_new_field"] == "42"
    assert first["description"] == "Puste gniazdo"
    assert list_split(second["feature_codes"]) == ["5735", "5273"]


def test_sentinels_mean_nothing():
    for word in ("none", "null", "any", "unavailable", "", "NONE"):
        assert value_or_none(word) is None
    assert value_or_none("vios1") == "vios1"
    assert list_split("none") == []


def test_positional_output_with_a_quoted_comma_and_other_delimiters():
    rows = positional_parse('p750-a,Operating,"default,POWER7"\n', ["name", "state", "modes"])
    assert rows == [{"name": "p750-a", "state": "Operating", "modes": "default,POWER7"}]
    assert positional_parse("lp1:Running\n", ["name", "state"], delimiter=":")[0]["state"] == (
        "Running"
    )
    assert positional_parse("lp1\n", ["name", "state"]) == [{"name": "lp1", "state": ""}]


def test_errors_carry_every_hscl_code_whatever_the_language():
    error = HmcError(
        command="lshwres -r virtualio --rsubtype fc -m sys1",
        exit_status=1,
        text="HSCLA4C0 System zarządzany nie obsługuje wirtualnego Fibre Channel.\nHSCLA319 x",
    )
    assert error.codes == ("HSCLA4C0", "HSCLA319")
    assert error.has_code("HSCLA319")
    assert "zarządzany" in error.text and "lshwres" in error.command


names = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
scalars = st.from_regex(r"[A-Za-z0-9 ._+/#@:-]{0,20}", fullmatch=True)
elements = st.from_regex(r"[A-Za-z0-9._+/#@:-][A-Za-z0-9 ._+/#@:,-]{0,20}", fullmatch=True).filter(
    lambda e: value_or_none(e) is not None and e.strip() == e
)


@given(st.dictionaries(names, st.one_of(scalars, st.lists(elements, min_size=1, max_size=4))))
def test_attributes_survive_builder_and_parser(attributes):
    if not attributes:
        return
    rendered = attributes_render(attributes)
    [parsed] = records_parse(rendered)
    assert set(parsed) == set(attributes)
    for name, value in attributes.items():
        if isinstance(value, str):
            assert parsed[name] == value
        else:
            assert list_split(parsed[name]) == value


@given(st.lists(elements, min_size=1, max_size=3))
def test_the_i_argument_reaches_the_hmc_as_one_word(mappings):
    command = migrlpar(
        operation="m",
        source="p750-a",
        destination="p750-b",
        lpar="server1",
        attributes={"virtual_fc_mappings": mappings, "dest_lpar_id": 12},
    )
    words = shlex.split(command.text)
    assert words[: words.index("-i")] == list(command.argv[: command.argv.index("-i")])
    [parsed] = records_parse(words[-1])
    assert list_split(parsed["virtual_fc_mappings"]) == mappings
    assert parsed["dest_lpar_id"] == "12"
