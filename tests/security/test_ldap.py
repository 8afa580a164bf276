"""Sign-in with a directory password against a real OpenLDAP server (slapd, started once for the
module): roles follow the directory's groups at every sign-in, wrong passwords are refused and
throttled, a directory that does not answer is said so, and local accounts keep working."""

import ldap
import pytest
from django.contrib.auth import get_user_model
from django_auth_ldap.config import LDAPSearch

from lpmplanner.models import SecurityEvent
from tests.factories import PASSWORD, user_create
from tests.servers import free_port, slapd

SUFFIX = "dc=example,dc=com"
ROOTDN = f"cn=admin,{SUFFIX}"
ROOTPW = "root-secret"
SERVICE_DN = f"cn=lpm-service,ou=services,{SUFFIX}"
SERVICE_PW = "service-secret"
GROUPS = f"ou=groups,{SUFFIX}"
PEOPLE = f"ou=people,{SUFFIX}"
DIRECTORY_PW = "directory-Pa55"


def person(uid: str, given: str, sn: str) -> str:
    return f"""dn: uid={uid},{PEOPLE}
objectClass: inetOrgPerson
uid: {uid}
cn: {given} {sn}
givenName: {given}
sn: {sn}
mail: {uid}@example.com
userPassword: {DIRECTORY_PW}
"""


def group(cn: str, *members: str) -> str:
    lines = "".join(f"member: uid={m},{PEOPLE}\n" for m in members)
    return f"dn: cn={cn},{GROUPS}\nobjectClass: groupOfNames\ncn: {cn}\n{lines}"


LDIF = "\n".join(
    [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\n"
        "dc: example\no: Example\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: lpm-service\nuserPassword: {SERVICE_PW}\n",
        person("pat", "Pat", "Planner"),
        person("rita", "Rita", "Rolechange"),
        person("ada", "Ada", "Admin"),
        person("otto", "Otto", "Operator"),
        person("amy", "Amy", "Admin"),
        person("admin", "Directory", "Namesake"),
        group("lpm-planners", "pat", "rita"),
        group("lpm-viewers", "otto"),
        group("lpm-operators", "otto"),
        group("lpm-admins", "ada", "amy"),
    ]
)


@pytest.fixture(scope="module")
def ldap_uri(tmp_path_factory):
    with slapd(
        tmp_path_factory.mktemp("slapd"), suffix=SUFFIX, rootdn=ROOTDN, rootpw=ROOTPW, ldif=LDIF
    ) as uri:
        yield uri


def directory_configure(settings, uri: str) -> None:
    settings.AUTH_LDAP_SERVER_URI = uri
    settings.AUTH_LDAP_BIND_DN = SERVICE_DN
    settings.AUTH_LDAP_BIND_PASSWORD = SERVICE_PW
    settings.AUTH_LDAP_USER_SEARCH = LDAPSearch(PEOPLE, ldap.SCOPE_SUBTREE, "(uid=%(user)s)")
    settings.AUTH_LDAP_GROUP_SEARCH = LDAPSearch(
        GROUPS, ldap.SCOPE_SUBTREE, "(objectClass=groupOfNames)"
    )
    settings.LDAP_ROLE_GROUPS = [
        ("Planner", f"cn=lpm-planners,{GROUPS}"),
        ("Operator", f"cn=lpm-operators,{GROUPS}"),
        ("Viewer", f"CN=LPM-Viewers,{GROUPS.upper()}"),  # DNs compare without case
    ]
    settings.LDAP_ADMIN_GROUPS = [f"cn=lpm-admins,{GROUPS}"]


@pytest.fixture
def directory(settings, ldap_uri, db) -> str:
    directory_configure(settings, ldap_uri)
    return ldap_uri


def directory_change(uri: str, group_cn: str, op: int, uid: str) -> None:
    """Add (ldap.MOD_ADD) or remove (ldap.MOD_DELETE) `uid` in a group, as its administrator."""
    conn = ldap.initialize(uri)
    conn.simple_bind_s(ROOTDN, ROOTPW)
    conn.modify_s(f"cn={group_cn},{GROUPS}", [(op, "member", [f"uid={uid},{PEOPLE}".encode()])])
    conn.unbind_s()


def roles(username: str) -> list[str]:
    user = get_user_model().objects.get(username=username)
    return sorted(user.groups.values_list("name", flat=True))


def test_a_planner_of_the_directory_signs_in_with_the_directory_password(client, directory):
    response = client.post("/login/", {"username": "pat", "password": DIRECTORY_PW})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    pat = get_user_model().objects.get(username="pat")
    assert (pat.first_name, pat.last_name, pat.email) == ("Pat", "Planner", "pat@example.com")
    assert roles("pat") == ["Planner"]
    assert not pat.is_superuser
    assert not pat.has_usable_password()  # the directory's password is never kept here
    assert pat.has_perm("inventory.change_lpar")
    event = SecurityEvent.objects.get(kind="sign_in", user=pat)
    assert event.data == {"source": "directory", "roles": ["Planner"], "administrator": False}


def test_roles_follow_the_directory_groups_at_every_sign_in(client, directory):
    assert client.post("/login/", {"username": "rita", "password": DIRECTORY_PW}).status_code == 302
    assert roles("rita") == ["Planner"]
    client.post("/logout/")

    directory_change(directory, "lpm-planners", ldap.MOD_DELETE, "rita")
    directory_change(directory, "lpm-viewers", ldap.MOD_ADD, "rita")
    try:
        assert (
            client.post("/login/", {"username": "rita", "password": DIRECTORY_PW}).status_code
            == 302
        )
        assert roles("rita") == ["Viewer"]
        assert client.post("/api/lpars/", {}, content_type="application/json").status_code == 403
    finally:
        directory_change(directory, "lpm-viewers", ldap.MOD_DELETE, "rita")
        directory_change(directory, "lpm-planners", ldap.MOD_ADD, "rita")


def test_an_operator_with_two_groups_gets_both_roles(client, directory):
    client.post("/login/", {"username": "otto", "password": DIRECTORY_PW})
    assert roles("otto") == ["Operator", "Viewer"]
    # Operators must sign in with a second factor: the first sign-in asks for enrolment.
    assert client.get("/")["Location"].startswith("/account/two-factor/")


def test_members_of_the_admin_group_are_administrators_while_they_are(client, directory):
    client.post("/login/", {"username": "ada", "password": DIRECTORY_PW})
    assert get_user_model().objects.get(username="ada").is_superuser
    client.post("/logout/")

    directory_change(directory, "lpm-admins", ldap.MOD_DELETE, "ada")
    try:
        client.post("/login/", {"username": "ada", "password": DIRECTORY_PW})
        ada = get_user_model().objects.get(username="ada")
        assert not ada.is_superuser
        assert not ada.is_staff
    finally:
        directory_change(directory, "lpm-admins", ldap.MOD_ADD, "ada")


def test_a_wrong_directory_password_is_refused_and_throttled(client, directory, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/login/", {"username": "pat", "password": "wrong"})
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    assert client.post("/login/", {"username": "pat", "password": "wrong"}).status_code == 429

    locked = client.post("/login/", {"username": "pat", "password": DIRECTORY_PW})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(kind="sign_in_failed", username="pat").count() >= 5


def test_the_local_administrator_is_never_taken_over_by_a_namesake_in_the_directory(
    client, directory
):
    admin = get_user_model().objects.create_superuser("admin", password=PASSWORD)

    refused = client.post("/login/", {"username": "admin", "password": DIRECTORY_PW})
    assert refused.status_code == 200
    assert client.post("/login/", {"username": "admin", "password": PASSWORD}).status_code == 302
    admin.refresh_from_db()
    assert admin.is_superuser
    event = SecurityEvent.objects.get(kind="sign_in", user=admin)
    assert event.data["source"] == "local"


def test_a_directory_that_does_not_answer_is_said_so_and_local_accounts_still_sign_in(
    client, api_client, settings, db
):
    directory_configure(settings, f"ldap://127.0.0.1:{free_port()}/")  # nothing listens there
    user_create("lena", role="Planner")

    response = client.post("/login/", {"username": "pat", "password": DIRECTORY_PW})
    assert response.status_code == 200
    assert "The directory (LDAP) cannot be reached" in response.content.decode()
    token = api_client.post("/api/auth/token/", {"username": "pat", "password": DIRECTORY_PW})
    assert token.status_code == 400
    assert "The directory (LDAP) cannot be reached" in token.json()["non_field_errors"][0]
    failed = SecurityEvent.objects.filter(kind="sign_in_failed", username="pat")
    assert [event.data for event in failed] == [{"reason": "directory unreachable"}] * 2

    assert client.post("/login/", {"username": "lena", "password": PASSWORD}).status_code == 302


def test_without_a_directory_local_sign_in_is_unchanged(client, planner, settings):
    assert settings.AUTH_LDAP_SERVER_URI == ""
    response = client.post("/login/", {"username": "pat", "password": DIRECTORY_PW})
    assert "Please enter a correct username and password" in response.content.decode()
    assert client.post("/login/", {"username": "paul", "password": PASSWORD}).status_code == 302
