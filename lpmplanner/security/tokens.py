"""API tokens: issue (shown once, stored as SHA-256), authenticate, revoke; and the session
authentication that refuses a session whose required second factor was not given."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework import authentication, exceptions

from lpmplanner.models import ApiToken, SecurityEvent
from lpmplanner.security.events import client_address, security_event
from lpmplanner.security.twofactor import (
    sign_in_factor_given,
    two_factor_enrolled,
    two_factor_required,
)

# A use is written to the token row (and the security log) at most this often per token.
LAST_USE_RESOLUTION = timedelta(minutes=1)
OPERATE_NEEDS_AUTHENTICATOR = (
    "An operate token runs dangerous actions, which need two-factor sign-in: set up an "
    "authenticator app on Your account (/account/) first."
)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user, name: str, scope: str | None = None, days: int | None = None, request=None
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the key, which is never readable again.

    Only a user with an authenticator may hold an `operate` token; the caller has checked that
    the second factor was given just now (the token endpoint's code, the account page's
    step-up)."""
    scope = scope or settings.API_TOKEN_DEFAULT_SCOPE
    if scope == ApiToken.Scope.OPERATE and not two_factor_enrolled(user):
        raise ValidationError({"scope": OPERATE_NEEDS_AUTHENTICATOR})
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            {"expires_in_days": f"Between 1 and {settings.API_TOKEN_MAX_DAYS} days."}
        )
    key = secrets.token_hex(20)
    now = timezone.now()
    token = ApiToken(
        user=user,
        name=name.strip(),
        prefix=key[:8],
        key_hash=_digest(key),
        scope=scope,
        created=now,
        expires=now + timedelta(days=days),
    )
    token.full_clean()
    token.save()
    security_event(
        kind=SecurityEvent.Kind.TOKEN_CREATED,
        request=request,
        user=user,
        token=token.name,
        prefix=token.prefix,
        scope=str(scope),  # the value, also when given as ApiToken.Scope
        expires=token.expires.isoformat(),
    )
    return token, key


def api_token_revoke(*, token: ApiToken, request=None) -> ApiToken:
    if token.revoked is None:
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])
        security_event(
            kind=SecurityEvent.Kind.TOKEN_REVOKED,
            request=request,
            user=token.user,
            token=token.name,
            prefix=token.prefix,
        )
    return token


def api_token_default_name() -> str:
    return f"API token {timezone.now():%Y-%m-%d %H:%M:%S.%f}"


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`: an active token's user; `request.auth` is the ApiToken.

    A `read` token is refused for anything but GET, HEAD and OPTIONS here, so that no view can
    forget it; the `operate` scope is checked by StepUpPermission on dangerous actions.
    """

    model = ApiToken

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        _user, token = result
        if request.method not in ("GET", "HEAD", "OPTIONS") and not token.allows("write"):
            raise exceptions.PermissionDenied(
                f"This token's scope is {token.scope}: it may only read."
            )
        self._note_use(request, token)
        return result

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(key_hash=_digest(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.active or not token.user.is_active:
            why = "revoked" if token.revoked else "expired" if token.user.is_active else "inactive"
            security_event(
                kind=SecurityEvent.Kind.TOKEN_REFUSED,
                user=token.user,
                token=token.name,
                prefix=token.prefix,
                reason=why,
            )
            raise exceptions.AuthenticationFailed(f"This token is {why}.")
        return token.user, token

    @staticmethod
    def _note_use(request, token: ApiToken) -> None:
        now = timezone.now()
        address = client_address(request)
        if (
            token.last_used is None
            or now - token.last_used >= LAST_USE_RESOLUTION
            or token.last_used_from != address
        ):
            ApiToken.objects.filter(pk=token.pk).update(last_used=now, last_used_from=address)
            security_event(
                kind=SecurityEvent.Kind.TOKEN_USED,
                request=request,
                user=token.user,
                token=token.name,
                prefix=token.prefix,
                method=request.method,
                path=request.path,
            )


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """The browser session, once it has given the second factor its user's role requires (or
    that an enrolled user gave at sign-in); until then the API treats it as anonymous."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = request._request.user
        verified = sign_in_factor_given(request._request)
        if not verified and (two_factor_required(user) or two_factor_enrolled(user)):
            return None
        return result
