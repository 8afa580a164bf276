"""After the password: a signed-in session that has not given its second factor may only reach
the second-factor pages (and sign out) until it does."""

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from lpmplanner.permissions import may_read
from lpmplanner.security.twofactor import (
    sign_in_factor_given,
    two_factor_enrolled,
    two_factor_required,
)

# Pages an unverified session may open: giving the code, enrolling, signing out, and the
# static files and health check those need.
OPEN_URL_NAMES = ("two-factor-verify", "two-factor-enrol", "logout", "login", "healthz")


class TwoFactorMiddleware:
    """Send a session user who has an authenticator to the code page, and one whose role
    requires two-factor sign-in but has none to enrolment. API requests are left to DRF (the
    session authentication there ignores an unverified session)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or sign_in_factor_given(request):
            return None
        match = request.resolver_match
        if match is None or match.url_name in OPEN_URL_NAMES or match.namespace == "api":
            return None
        query = urlencode({"next": request.get_full_path()})
        if two_factor_enrolled(user):
            return redirect(f"{reverse('two-factor-verify')}?{query}")
        if two_factor_required(user):
            return redirect(f"{reverse('two-factor-enrol')}?{query}")
        return None


# The sections whose pages show the estate, the plans and the jobs.
ESTATE_NAMESPACES = ("inventory", "planning", "migrations_app")


class RoleRequiredMiddleware:
    """A signed-in user with no role (no view permission) gets a 403 on every page of the
    estate, the plans and the jobs; their own account pages and the dashboard stay open. The
    API applies the same rule in its permission classes."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.namespace not in ESTATE_NAMESPACES:
            return None
        if not request.user.is_authenticated or may_read(request.user, None):
            return None
        raise PermissionDenied("You have no role yet: ask an administrator to give you one.")
