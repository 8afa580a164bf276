"""Alias and zone names: legal on every switch, unique per fabric, stable, whatever the
inventory's names are."""

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from planning.zoning.naming import (
    MAX_LENGTH,
    NameBook,
    name_problems,
    storage_host_name,
    template_base,
)

any_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=90
)
identities = st.lists(st.tuples(any_text, any_text), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(identities)
def test_any_inventory_names_give_legal_unique_stable_names(items):
    book, again = NameBook(), NameBook()
    names = {}
    for index, (lpar, adapter) in enumerate(items):
        identity = f"wwpn{index}"
        name = book.name(identity, lpar, adapter, suffix="_w1")
        assert name_problems(name) == [], name
        assert len(name) <= MAX_LENGTH
        assert name.endswith("_w1")
        names[identity] = name
        assert book.name(identity, "changed", "parts") == name  # one identity, one name
    lowered = [n.lower() for n in names.values()]
    assert len(set(lowered)) == len(lowered)  # unique, ignoring case as the switches do
    for index, (lpar, adapter) in enumerate(items):
        assert again.name(f"wwpn{index}", lpar, adapter, suffix="_w1") == names[f"wwpn{index}"]


@settings(max_examples=200, deadline=None)
@given(identities, st.sampled_from(["{lpar}_{adapter}", "{frame}-{lpar}.{adapter}", "{lpar}"]))
def test_templates_give_legal_unique_names_shared_by_both_wwpns_of_a_pair(items, template):
    book = NameBook()
    names = []
    for index, (lpar, adapter) in enumerate(items):
        values = {"frame": "p750 a", "lpar": lpar, "adapter": adapter}
        base = template_base(template, values)  # one base for both WWPNs of the pair
        for position in (1, 2):
            suffix = f"_w{position}"
            name = book.named(f"wwpn{index}.{position}", base, suffix=suffix)
            assert name_problems(name) == [] and name.endswith(suffix), name
            if index == 0:  # nothing to clash with yet: the name the template alone gives
                assert name == NameBook().from_template("any", template, values, suffix)
            names.append(name)
    lowered = [n.lower() for n in names]
    assert len(set(lowered)) == len(lowered)


def test_long_names_are_cut_keeping_the_pair_suffix_and_a_hash():
    book = NameBook()
    first = book.name("a", "x" * 80, "fcs0", suffix="_w1")
    second = book.name("b", "x" * 80 + "y", "fcs0", suffix="_w1")
    assert len(first) == MAX_LENGTH and first.endswith("_w1")
    assert first != second


def test_names_that_clash_ignoring_case_get_a_hash_of_their_own():
    book = NameBook()
    assert book.name("w1", "DB01", "fcs0") == "DB01_fcs0"
    clash = book.name("w2", "db01", "fcs0")
    assert clash.lower() != "db01_fcs0" and clash.startswith("db01_fcs0_")


def test_reserved_prefixes_and_leading_digits_are_avoided():
    book = NameBook()
    for parts in (("lsan_db",), ("bfa_x",), ("QOSH1",), ("9lpar",), ("_x",)):
        assert name_problems(book.name(repr(parts), *parts)) == []
    assert name_problems("lsan_db") and name_problems("9abc") and name_problems("a" * 65)
    # A prefix that only the suffix completes: LPAR "BFA", pair suffix "_w1" (found by the
    # property test above).
    for parts, suffix in ((("BFA",), "_w1"), (("red",), "_fcs0"), (("lsan",), "_x")):
        name = book.name(repr((parts, suffix)), *parts, suffix=suffix)
        assert name_problems(name) == [] and name.endswith(suffix), name


def test_storage_host_names_follow_storage_virtualize_rules():
    assert storage_host_name("erp01 prod") == "erp01 prod"
    assert not storage_host_name("_hidden").startswith("_")
    assert len(storage_host_name("x" * 100)) <= 63
    assert set(storage_host_name("a/b:c")) <= set(string.ascii_letters + string.digits + "_.- ")
