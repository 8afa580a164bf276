"""The simulator driven the way IBM's public HMC automation (the ibm.power_hmc Ansible
collection) drives a real HMC: a plain password login over SSH as sshpass does it, one command
line per call, exit status 0 or the output as the error, `-F` lists and records split on commas
with doubled quotes, filters by `lpar_names` and `profile_names`. The client here is our own,
written from the HMC's documented output format, not from lpmplanner's parser."""

import shlex

import asyncssh
import pytest

from migrations_app.simulator.server import DEFAULT_PASSWORD, DEFAULT_USER
from tests.aio import awaited

pytestmark = pytest.mark.django_db


class HmcCliError(Exception):
    pass


def split_fields(line: str) -> list[str]:
    """Fields separated by commas; a field in double quotes keeps its commas, and a doubled
    quote inside it stands for one quote."""
    fields, current, quoted, index = [], [], False, 0
    while index < len(line):
        char = line[index]
        if quoted:
            if char == '"' and line[index + 1 : index + 2] == '"':
                current.append('"')
                index += 1
            elif char == '"':
                quoted = False
            else:
                current.append(char)
        elif char == '"':
            quoted = True
        elif char == ",":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    fields.append("".join(current))
    return fields


def parse_records(text: str) -> list[dict[str, str]]:
    records = []
    for line in text.splitlines():
        if not line.strip() or line.strip() == "No results were found.":
            continue
        record = {}
        for item in split_fields(line):
            key, _, value = item.partition("=")
            record[key] = value
        records.append(record)
    return records


class AutomationClient:
    """One SSH login with a password per command, as `sshpass -p PW ssh user@hmc 'cmd'`."""

    def __init__(self, host: str, port: int, user: str, password: str) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password

    async def _run(self, command: str) -> asyncssh.SSHCompletedProcess:
        async with asyncssh.connect(
            self.host,
            self.port,
            username=self.user,
            password=self.password,
            known_hosts=None,
            client_keys=None,
            agent_path=None,
            preferred_auth="password",
        ) as connection:
            return await connection.run(command, check=False)

    def run(self, command: str) -> str:
        result = awaited(self._run(command))
        if result.exit_status != 0:
            raise HmcCliError(f"{result.stdout}{result.stderr}")
        return result.stdout

    def query(self, command: str, attributes: list[str]) -> list[dict[str, str]]:
        """`-F a,b,c` rows as dicts."""
        out = self.run(f"{command} -F {','.join(attributes)}")
        return [
            dict(zip(attributes, split_fields(line), strict=True))
            for line in out.splitlines()
            if line.strip() and line.strip() != "No results were found."
        ]

    def partition_config(self, system: str, name: str) -> dict[str, str] | None:
        """None when the HMC says the partition is not there (HSCL8012), as the collection's
        modules check before creating one."""
        try:
            out = self.run(
                f"lssyscfg -r lpar -m {shlex.quote(system)} --filter lpar_names={shlex.quote(name)}"
            )
        except HmcCliError as error:
            if "HSCL8012" in str(error):
                return None
            raise
        [record] = parse_records(out)
        return record


@pytest.fixture
def automation(simulator) -> AutomationClient:
    return AutomationClient(simulator.host, simulator.port, DEFAULT_USER, DEFAULT_PASSWORD)


def test_a_password_login_and_f_lists(automation):
    systems = automation.query("lssyscfg -r sys", ["name", "state", "lpar_proc_compat_modes"])
    assert [s["name"] for s in systems] == ["p750-a", "p750-b"]
    assert systems[0]["state"] == "Operating"
    assert "POWER7" in split_fields(systems[0]["lpar_proc_compat_modes"])
    wrong = AutomationClient(automation.host, automation.port, DEFAULT_USER, "wrong")
    with pytest.raises(asyncssh.PermissionDenied):
        wrong.run("lssyscfg -r sys")


def test_a_profile_by_lpar_and_profile_names_with_doubled_quote_lists(automation):
    [profile] = parse_records(
        automation.run(
            'lssyscfg -r prof -m p750-a --filter "lpar_names=server1,profile_names=default"'
        )
    )
    assert (profile["name"], profile["lpar_name"]) == ("default", "server1")
    elements = split_fields(profile["virtual_fc_adapters"])
    assert [e.split("/")[0] for e in elements] == ["610", "620"]
    assert elements[0].split("/")[5] == "c050760431670010,c050760431670011"


def test_lookup_create_and_validate_as_the_collection_does(automation):
    assert automation.partition_config("p750-b", "aix-new") is None  # HSCL8012: not there
    settings = (
        "name=aix-new,profile_name=default,lpar_env=aixlinux,min_mem=1024,desired_mem=2048,"
        "max_mem=4096,proc_mode=shared,min_proc_units=0.1,desired_proc_units=0.5,"
        "max_proc_units=2.0,min_procs=1,desired_procs=1,max_procs=2,sharing_mode=uncap,"
        "uncap_weight=128,max_virtual_slots=200"
    )
    assert automation.run(f'mksyscfg -r lpar -m p750-b -i "{settings}"') == ""
    created = automation.partition_config("p750-b", "aix-new")
    assert created["state"] == "Not Activated" and created["lpar_env"] == "aixlinux"
    with pytest.raises(HmcCliError, match="HSCL"):
        automation.run("mksyscfg -r lpar -m p750-b -i name=aix-bad,profile_name=default")
    assert automation.run("migrlpar -o v -m p750-a -t p750-b -p server1") == ""
    with pytest.raises(HmcCliError, match="HSCL"):
        automation.run("migrlpar -o v -m p750-a -t p750-b -p server1 --wait 5")
