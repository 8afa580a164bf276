"""After the password: a signed-in session that has not given its second factor may only reach
the second-factor pages (and sign out) until it does."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

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
