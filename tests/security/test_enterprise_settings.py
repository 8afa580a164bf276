"""The directory, provider, metrics and log variables: a mistake stops start-up and names the
variable; the provider's claims are read as the README says."""

import pytest

from lpmplanner.security.oidc import claimed_groups, mfa_asserted
from tests.test_settings import load_settings


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"LDAP_ROLE_GROUPS": "Boss=cn=bosses,dc=example,dc=com"}, "LDAP_ROLE_GROUPS: 'Boss=cn="),
        ({"LDAP_ROLE_GROUPS": "Planner"}, "is not 'Role=group' with a role among Planner"),
        ({"OIDC_ROLE_GROUPS": "Operator=ops;Root=admins"}, "OIDC_ROLE_GROUPS: 'Root=admins'"),
        ({"LDAP_GROUP_TYPE": "nested"}, "LDAP_GROUP_TYPE='nested': use one of groupOfNames"),
        ({"METRICS_ALLOWED_ADDRESSES": "10.0.0.0/33"}, "METRICS_ALLOWED_ADDRESSES: "),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT='xml': use plain or json"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path, env, said):
    result = load_settings(tmp_path, **env)
    assert result.returncode != 0
    assert said in result.stderr


def test_a_good_configuration_starts(tmp_path):
    result = load_settings(
        tmp_path,
        LDAP_ROLE_GROUPS="Planner=cn=a,dc=x;SAN admin=cn=b,dc=x;Planner=cn=c,dc=x",
        LDAP_GROUP_TYPE="activeDirectory",
        METRICS_ALLOWED_ADDRESSES="10.0.0.0/8, ::1",
        LOG_FORMAT="json",
    )
    assert result.returncode == 0, result.stderr


def test_the_provider_mfa_claim_is_amr_or_a_configured_acr(settings):
    settings.OIDC_MFA_AMR = ["mfa"]
    settings.OIDC_MFA_ACR = ["gold"]
    assert mfa_asserted({"amr": ["pwd", "mfa"]})
    assert mfa_asserted({"amr": "mfa"})
    assert mfa_asserted({"acr": "gold"})
    assert not mfa_asserted({"amr": ["pwd"], "acr": "silver"})
    assert not mfa_asserted({})


def test_the_groups_claim_may_be_a_list_or_one_name(settings):
    settings.OIDC_GROUPS_CLAIM = "roles"
    assert claimed_groups({"roles": ["a", "b"]}) == ["a", "b"]
    assert claimed_groups({"roles": "a"}) == ["a"]
    assert claimed_groups({"groups": ["a"]}) == []
