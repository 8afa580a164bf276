"""The canonical forms of pasted identifiers: WWPNs and MAC addresses."""

import pytest
from django.core.exceptions import ValidationError

from inventory.identifiers import mac_normalize, wwpn_colon, wwpn_normalize

CANONICAL_WWPN = "c0507604a2b10010"


@pytest.mark.parametrize(
    "spelling",
    [
        "c0507604a2b10010",
        "C0507604A2B10010",
        "c0:50:76:04:a2:b1:00:10",
        "C0:50:76:04:A2:B1:00:10",
        "c0-50-76-04-a2-b1-00-10",
        "C050 7604 A2B1 0010",
        "c050.7604.a2b1.0010",
        "0xC0507604A2B10010",
        "0Xc0507604a2b10010",
        "  c0507604a2b10010\t",
        "C0:50-76 04:a2:B1:00:10",
    ],
)
def test_wwpn_any_common_spelling_becomes_16_lower_case_hex(spelling):
    assert wwpn_normalize(spelling) == CANONICAL_WWPN


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("c0507604a2b1001", id="15 digits"),
        pytest.param("c0507604a2b100100", id="17 digits"),
        pytest.param("c0:50:76:04:a2:b1:00", id="7 octets"),
        pytest.param("g0507604a2b10010", id="not hex"),
        pytest.param("c0_50_76_04_a2_b1_00_10", id="underscores"),
        pytest.param("0x", id="prefix only"),
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
    ],
)
def test_wwpn_of_wrong_length_or_not_hex_is_refused_with_the_rule(value):
    with pytest.raises(ValidationError) as caught:
        wwpn_normalize(value)
    [message] = caught.value.messages
    assert "16 hexadecimal digits" in message
    if value:
        assert value in message  # the planner sees what they pasted


@pytest.mark.parametrize("value", ["0000000000000000", "00:00:00:00:00:00:00:00", "0x" + "0" * 16])
def test_all_zero_wwpn_is_refused(value):
    with pytest.raises(ValidationError, match="all-zero"):
        wwpn_normalize(value)


def test_wwpn_colon_is_the_switch_spelling_and_round_trips():
    assert wwpn_colon(CANONICAL_WWPN) == "c0:50:76:04:a2:b1:00:10"
    assert wwpn_normalize(wwpn_colon(CANONICAL_WWPN)) == CANONICAL_WWPN


@pytest.mark.parametrize(
    "spelling",
    [
        "AA:BB:CC:DD:EE:0F",
        "aa-bb-cc-dd-ee-0f",
        "aabb.ccdd.ee0f",
        "AABBCCDDEE0F",
        " aa bb cc dd ee 0f ",
    ],
)
def test_mac_any_common_spelling_becomes_12_lower_case_hex(spelling):
    assert mac_normalize(spelling) == "aabbccddee0f"


@pytest.mark.parametrize(
    "value", ["aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "zz:bb:cc:dd:ee:ff", "", "0xaabbccddeeff"]
)
def test_mac_of_wrong_length_or_not_hex_is_refused(value):
    with pytest.raises(ValidationError, match="not a MAC address"):
        mac_normalize(value)
