"""The security log: one function writes an entry, and the sign-in signals call it."""

import logging

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from simple_history.models import HistoricalRecords

from lpmplanner.models import SecurityEvent
from lpmplanner.security.ldap import DIRECTORY_DOWN_ATTR as DIRECTORY_DOWN

logger = logging.getLogger("lpmplanner.security")


def client_address(request) -> str | None:
    """The caller's address as the server saw it (the proxy's X-Forwarded-For is trusted by
    the proxy configuration, not here)."""
    return (request.META.get("REMOTE_ADDR") or None) if request is not None else None


def security_event(
    *, kind: str, request: HttpRequest | None = None, user=None, **data
) -> SecurityEvent:
    """Record `kind` (a SecurityEvent.Kind) for `user` (else the request's) with the request's
    source address and id; `data` holds the details (never a secret: pass names, not values)."""
    request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    username = user.get_username() if user is not None else str(data.get("username", ""))
    event = SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=username[:150],
        address=client_address(request),
        request_id=getattr(request, "id", "") or "",
        data={key: value for key, value in data.items() if key != "username"},
    )
    logger.info("%s user=%s address=%s %s", kind, username or "-", event.address or "-", event.data)
    return event


# Where a sign-in's password or assertion was checked, by the backend that accepted it.
SIGN_IN_SOURCES = {
    "lpmplanner.security.ldap.DirectoryBackend": "directory",
    "lpmplanner.security.oidc.ProviderBackend": "provider",
}


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs) -> None:
    security_event(
        kind=SecurityEvent.Kind.SIGN_IN,
        request=request,
        user=user,
        source=SIGN_IN_SOURCES.get(getattr(user, "backend", ""), "local"),
        roles=sorted(user.groups.values_list("name", flat=True)),
        administrator=user.is_superuser,
    )


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        security_event(kind=SecurityEvent.Kind.SIGN_OUT, request=request, user=user)


@receiver(user_login_failed)
def _sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))
    user = get_user_model().objects.filter(username=username).first()
    details = {"reason": "directory unreachable"} if getattr(request, DIRECTORY_DOWN, False) else {}
    security_event(
        kind=SecurityEvent.Kind.SIGN_IN_FAILED,
        request=request,
        user=user,
        username=username,
        **details,
    )


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs) -> None:
    user = get_user_model().objects.filter(username=username).first()
    security_event(
        kind=SecurityEvent.Kind.LOCKOUT, request=request, user=user, username=username or ""
    )


@receiver(post_save, sender="inventory.Hmc")
def _hmc_saved(sender, instance, created, **kwargs) -> None:
    changed = getattr(instance, "sensitive_changed", [])
    if changed:
        # The request (or the worker's change_author) the change history credits.
        request = getattr(HistoricalRecords.context, "request", None)
        security_event(
            kind=SecurityEvent.Kind.HMC_CREDENTIALS,
            request=request if isinstance(request, HttpRequest) else None,
            user=getattr(request, "user", None),
            hmc=instance.name,
            fields=changed,
            created=created,
        )
