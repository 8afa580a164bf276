"""Two-factor sign-in: who must use it, enrolment of an authenticator app (TOTP), recovery
codes, and the session's record of when the second factor was last given (for step-up)."""

import base64
import math
import time

import django_otp
import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lpmplanner.models import SecurityEvent
from lpmplanner.security.events import security_event

VERIFIED_AT_SESSION_KEY = "lpm_second_factor_at"
# Set when the OpenID Connect provider asserted multi-factor sign-in (lpmplanner.security.oidc):
# it counts for sign-in, never for step-up, which wants this app's own code.
PROVIDER_MFA_SESSION_KEY = "lpm_provider_mfa"
RECOVERY_DEVICE_NAME = "Recovery codes"


def two_factor_required(user) -> bool:
    """True when the user's role (or being an administrator) requires two-factor sign-in."""
    if not user.is_authenticated:
        return False
    if user.is_superuser and settings.TWO_FACTOR_ADMINS:
        return True
    required = settings.TWO_FACTOR_REQUIRED_ROLES
    return bool(required) and user.groups.filter(name__in=required).exists()


def sign_in_factor_given(request) -> bool:
    """True when this session gave a second factor at sign-in: this app's code, or the sign-in
    provider's own multi-factor authentication."""
    if getattr(request.user, "is_verified", lambda: False)():
        return True
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(PROVIDER_MFA_SESSION_KEY))


def two_factor_enrolled(user) -> bool:
    return user_has_device(user, confirmed=True)


def second_factor_record(*, request, device, kind: str = SecurityEvent.Kind.SECOND_FACTOR) -> None:
    """The user just gave a second factor with `device`: mark the session verified and note the
    time, which step-up compares with STEP_UP_MAX_AGE."""
    django_otp.login(request, device)
    request.session[VERIFIED_AT_SESSION_KEY] = time.time()
    security_event(kind=kind, request=request, device=device.name)


def second_factor_age(request) -> float | None:
    """Seconds since this session's last second factor, or None if it never gave one."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    given = session.get(VERIFIED_AT_SESSION_KEY)
    if given is None or not request.user.is_verified():
        return None
    return time.time() - given


@transaction.atomic  # the devices lock their row while they check a code
def second_factor_check(*, user, code: str):
    """The user's device that accepts `code` (an authenticator code or an unused recovery
    code), else None. Each code works once."""
    code = "".join(code.split())
    if not code:
        return None
    tried = []
    for device in devices_for_user(user, confirmed=True, for_verify=True):
        if device.verify_is_allowed()[0] and device.verify_token(code):
            # A recovery code is tried on the authenticator first: that miss is no wrong code.
            for other in tried:
                other.throttle_reset()
            return device
        tried.append(device)
    return None


def second_factor_wait(user) -> int:
    """Seconds until every device of the user checks codes again after wrong ones (django-otp
    doubles the wait with each wrong code); 0 when none is waiting."""
    now = timezone.now()
    wait = 0.0
    for device in devices_for_user(user, confirmed=True):
        allowed, info = device.verify_is_allowed()
        if not allowed and info and info.get("locked_until"):
            wait = max(wait, (info["locked_until"] - now).total_seconds())
    return math.ceil(wait)


def totp_device_start(*, user) -> TOTPDevice:
    """A new, unconfirmed authenticator for the user (replacing an unconfirmed one left from
    an earlier attempt); it counts once a code from it is confirmed."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def totp_secret(device: TOTPDevice) -> str:
    """The shared secret as authenticator apps take it typed in (base32)."""
    return base64.b32encode(device.bin_key).decode()


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code, drawn here (no outside service)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)


@transaction.atomic
def totp_device_confirm(*, request, device: TOTPDevice, code: str) -> bool:
    """Confirm the new authenticator with a code from it; it replaces any earlier one."""
    if not device.verify_token("".join(code.split())):
        return False
    TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    security_event(kind=SecurityEvent.Kind.TWO_FACTOR_ENROLLED, request=request)
    second_factor_record(request=request, device=device)
    return True


@transaction.atomic
def recovery_codes_issue(*, request, user) -> list[str]:
    """Ten fresh one-time recovery codes (the old ones stop working); shown once."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    security_event(kind=SecurityEvent.Kind.RECOVERY_CODES, request=request)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def two_factor_remove(*, request, user) -> None:
    """Remove the user's authenticator and recovery codes (sign-in then asks for enrolment
    again if their role requires it)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    request.session.pop(VERIFIED_AT_SESSION_KEY, None)
    request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
    security_event(kind=SecurityEvent.Kind.TWO_FACTOR_REMOVED, request=request)
