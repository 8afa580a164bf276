"""Sign-in through an OpenID Connect provider (Entra ID, Okta, Keycloak, ADFS …), with
mozilla-django-oidc: the authorization code flow with PKCE, endpoints from the provider's
discovery document unless set one by one, roles from the groups claim at every sign-in, and the
provider's multi-factor assertion (`amr`/`acr`) counted as the second factor for sign-in.

Local accounts (with a password kept here) are never taken over by a provider's namesake.
"""

import logging
import time

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import SuspiciousOperation
from django.dispatch import receiver
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from lpmplanner.models import SecurityEvent
from lpmplanner.security.directory import in_any_group, roles_for_groups, user_roles_apply
from lpmplanner.security.events import security_event
from lpmplanner.security.twofactor import PROVIDER_MFA_SESSION_KEY

logger = logging.getLogger(__name__)

# mozilla-django-oidc's endpoint settings and the discovery document's names for them.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
DISCOVERY_KEEP_SECONDS = 3600
_discovery: dict[str, tuple[float, dict]] = {}


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read."""


def oidc_enabled() -> bool:
    return bool(settings.OIDC_RP_CLIENT_ID)


def provider_name() -> str:
    return settings.OIDC_PROVIDER_NAME


def discovery_document() -> dict:
    """The provider's /.well-known/openid-configuration, read again after an hour."""
    url = settings.OIDC_DISCOVERY_URL
    if not url:
        raise ProviderUnavailable("neither OIDC_DISCOVERY_URL nor the endpoints are set")
    fetched = _discovery.get(url)
    if fetched is not None and time.monotonic() - fetched[0] < DISCOVERY_KEEP_SECONDS:
        return fetched[1]
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(type(error).__name__) from error
    _discovery[url] = (time.monotonic(), document)
    return document


def oidc_setting(attr: str, *default):
    """mozilla-django-oidc's setting, an endpoint left unset coming from discovery."""
    if attr in DISCOVERED and not getattr(settings, attr, ""):
        try:
            return discovery_document()[DISCOVERED[attr]]
        except KeyError:
            raise ProviderUnavailable(f"discovery gives no {DISCOVERED[attr]}") from None
    return import_from_settings(attr, *default)


def mfa_asserted(claims: dict) -> bool:
    """The provider says the user signed in with several factors (`amr` holds one of
    OIDC_MFA_AMR, or `acr` is one of OIDC_MFA_ACR)."""
    amr = claims.get("amr") or []
    amr = [amr] if isinstance(amr, str) else amr
    if set(map(str, amr)) & set(settings.OIDC_MFA_AMR):
        return True
    return str(claims.get("acr", "")) in settings.OIDC_MFA_ACR


def claimed_groups(claims: dict) -> list[str]:
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    return [groups] if isinstance(groups, str) else [str(group) for group in groups]


class ProviderBackend(OIDCAuthenticationBackend):
    """Off while OIDC_CLIENT_ID is empty; acts only on the provider's callback."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs) -> None:
        # The endpoints are read at sign-in (from discovery), not whenever a backend is built.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if not oidc_enabled() or request is None or "code" not in request.GET:
            return None
        for attr in (*DISCOVERED, "OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET"):
            setattr(self, attr, oidc_setting(attr))
        self.OIDC_RP_SIGN_ALGO = oidc_setting("OIDC_RP_SIGN_ALGO")
        self.OIDC_RP_IDP_SIGN_KEY = None
        return super().authenticate(request, **kwargs)

    def get_userinfo(self, access_token, id_token, payload):
        # The ID token's claims (amr, acr, often the groups) and the userinfo endpoint's.
        return {**payload, **super().get_userinfo(access_token, id_token, payload)}

    def verify_claims(self, claims) -> bool:
        return bool(claims.get(settings.OIDC_USERNAME_CLAIM))

    def get_username(self, claims) -> str:
        return str(claims[settings.OIDC_USERNAME_CLAIM])[:150]

    def describe_user_by_claims(self, claims) -> str:
        return f"username {self.get_username(claims)}"

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(username__iexact=self.get_username(claims))

    def create_user(self, claims):
        user = self.UserModel.objects.create_user(self.get_username(claims))  # no password
        return self.update_user(user, claims)

    def update_user(self, user, claims):
        if user.has_usable_password():
            raise SuspiciousOperation(f"{user.username} is a local account")
        user.first_name = str(claims.get("given_name", user.first_name))[:150]
        user.last_name = str(claims.get("family_name", user.last_name))[:150]
        user.email = str(claims.get("email", user.email))[:254]
        user.save(update_fields=["first_name", "last_name", "email"])
        groups = claimed_groups(claims)
        user_roles_apply(
            user=user,
            roles=roles_for_groups(groups, settings.OIDC_ROLE_GROUPS),
            admin=in_any_group(groups, settings.OIDC_ADMIN_GROUPS),
        )
        user.lpm_provider_mfa = mfa_asserted(claims)
        return user


def _unavailable(request, error: Exception):
    logger.warning("OpenID Connect provider unavailable: %s", error)
    messages.error(
        request,
        f"{provider_name()} cannot be reached, so sign-in through it does not work now. "
        "Local accounts can still sign in here.",
    )
    return redirect("login")


class ProviderSignInView(OIDCAuthenticationRequestView):
    """`Sign in with <provider>`: off (404) while OIDC is not configured."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not oidc_enabled():
            raise Http404("Sign-in through a provider is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderUnavailable as error:
            return _unavailable(request, error)
        self.OIDC_RP_CLIENT_ID = oidc_setting("OIDC_RP_CLIENT_ID")
        return super().get(request)


class ProviderCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back; failures go to the login page in words."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request):
        if not oidc_enabled():
            raise Http404("Sign-in through a provider is not configured.")
        try:
            return super().get(request)
        except (ProviderUnavailable, requests.RequestException) as error:
            return _unavailable(request, error)

    def login_failure(self) -> HttpResponseRedirect:
        messages.error(
            self.request,
            f"Sign-in with {provider_name()} did not succeed. Try again, or sign in here with "
            "a local account.",
        )
        return HttpResponseRedirect(reverse("login"))


@receiver(user_logged_in)
def _provider_mfa(sender, request, user, **kwargs) -> None:
    """A provider's multi-factor sign-in counts for this session's sign-in; any other sign-in
    clears what an earlier one left."""
    session = getattr(request, "session", None)
    if session is None:
        return
    if getattr(user, "lpm_provider_mfa", False):
        session[PROVIDER_MFA_SESSION_KEY] = True
        security_event(
            kind=SecurityEvent.Kind.SECOND_FACTOR,
            request=request,
            user=user,
            device=f"{provider_name()} (multi-factor sign-in)",
        )
    else:
        session.pop(PROVIDER_MFA_SESSION_KEY, None)
