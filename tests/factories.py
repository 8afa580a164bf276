"""Test data builders: users in roles, and a valid piece of estate per model."""

import itertools
import time
from decimal import Decimal

import django_otp
import factory
import pyotp
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from inventory import choices
from inventory.models import (
    Adapter,
    Drawer,
    Fabric,
    Frame,
    Hmc,
    Lpar,
    Port,
    SharedProcessorPool,
    Slot,
    StoragePort,
    VirtualAdapter,
    Vlan,
    Wwpn,
)
from inventory.services import virtual_adapter_save
from lpmplanner.roles import roles_bootstrap
from lpmplanner.security.twofactor import VERIFIED_AT_SESSION_KEY, totp_secret

PASSWORD = "correct horse battery staple"
_wwpn_counter = itertools.count(0x10)


def user_create(username: str = "alice", *, role: str | None = None, **fields):
    """A user with a known password, in the named role's group (groups made on demand)."""
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
    if role:
        if not Group.objects.filter(name=role).exists():
            roles_bootstrap()
        user.groups.add(Group.objects.get(name=role))
    return user


def totp_device_create(user) -> TOTPDevice:
    """The user's confirmed authenticator app (the one they have, else a new one)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    """A code the device accepts now, as the user's app would show it: the current one, or the
    next step's when the current one was used already (each code works once)."""
    device.refresh_from_db()
    totp = pyotp.TOTP(totp_secret(device), interval=device.step, digits=device.digits)
    step = max(int(time.time() - device.t0) // device.step, device.last_t + 1)
    return totp.at(device.t0 + step * device.step)


def login(client, user, *, fresh: bool = True) -> None:
    """Sign `user` in on a test client (Django's or DRF's) as the login page and the second
    factor would: the session is verified by the user's authenticator (made if they have
    none), given now (`fresh=False`: given long enough ago that step-up asks again)."""
    client.force_login(user)
    device = totp_device_create(user)
    session = client.session
    session[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[VERIFIED_AT_SESSION_KEY] = time.time() - (0 if fresh else 24 * 3600)
    session.save()


def next_wwpn() -> str:
    """A fresh IBM-style virtual WWPN (c05076…), different on every call."""
    return f"c05076{next(_wwpn_counter):010x}"


class HmcFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hmc

    name = factory.Sequence(lambda n: f"hmc{n}")
    host = factory.Sequence(lambda n: f"10.0.0.{n % 250 + 1}")
    password = "hmc-secret-pass"


class FrameFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Frame

    name = factory.Sequence(lambda n: f"p750-{n}")
    machine_type = "8233"
    model = "E8B"
    serial = factory.Sequence(lambda n: f"06{n:05d}")
    hmc = factory.SubFactory(HmcFactory)
    processor_generation = choices.ProcessorGeneration.POWER7
    compat_modes = ["default", "POWER6", "POWER6+", "POWER7"]
    proc_units = Decimal("32")
    memory_mb = 262144


class DrawerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Drawer

    frame = factory.SubFactory(FrameFactory)
    location = factory.Sequence(lambda n: f"U78A0.001.D{n:06d}")


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot

    drawer = factory.SubFactory(DrawerFactory)
    location = factory.Sequence(lambda n: f"P1-C{n + 1}")


class VlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vlan
        django_get_or_create = ("vlan_id",)

    vlan_id = factory.Sequence(lambda n: 100 + n)
    name = factory.LazyAttribute(lambda o: f"vlan{o.vlan_id}")


class FabricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fabric

    name = factory.Sequence(lambda n: f"FAB_{n}")
    side = choices.FabricSide.A
    vendor = choices.FabricVendor.BROCADE
    zoneset_name = factory.LazyAttribute(lambda o: f"cfg_{o.name}")


class StoragePortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoragePort

    array = "fs9k1"
    name = factory.Sequence(lambda n: f"n1p{n}")
    fabric = factory.SubFactory(FabricFactory)


class LparFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lpar

    frame = factory.SubFactory(FrameFactory)
    name = factory.Sequence(lambda n: f"lpar{n}")
    lpar_id = factory.Sequence(lambda n: 10 + n)
    kind = choices.LparKind.AIX
    state = choices.LparState.RUNNING
    proc_units = Decimal("1.0")
    virtual_procs = 2
    memory_mb = 2048


class ViosFactory(LparFactory):
    kind = choices.LparKind.VIOS
    name = factory.Sequence(lambda n: f"vios{n}")
    lpar_id = 1
    msp = True


class SharedProcessorPoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SharedProcessorPool

    frame = factory.SubFactory(FrameFactory)
    pool_id = factory.Sequence(lambda n: n % 63 + 1)
    name = factory.Sequence(lambda n: f"pool{n}")


class AdapterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Adapter

    slot = factory.SubFactory(SlotFactory)
    kind = choices.AdapterKind.FC
    feature_code = "5735"


class PortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Port

    adapter = factory.SubFactory(AdapterFactory)
    name = "T1"


class VirtualAdapterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VirtualAdapter

    lpar = factory.SubFactory(LparFactory)
    kind = choices.VirtualAdapterKind.VSCSI
    role = choices.VirtualAdapterRole.CLIENT
    slot = factory.Sequence(lambda n: 200 + n % 200)


def vfc_client_create(lpar: Lpar, slot: int, vios: Lpar | None = None, **fields) -> VirtualAdapter:
    """A vFC client adapter with its two WWPNs, through the service every path uses."""
    adapter = VirtualAdapter(
        lpar=lpar,
        kind="vfc",
        role="client",
        slot=slot,
        remote_lpar=vios,
        remote_slot=fields.pop("remote_slot", slot if vios else None),
        **fields,
    )
    return virtual_adapter_save(adapter=adapter, wwpns=[next_wwpn(), next_wwpn()])


def wwpn_create(**fields) -> Wwpn:
    fields.setdefault("value", next_wwpn())
    return Wwpn.objects.create(**fields)
