"""Step-up: dangerous actions want a second factor no older than STEP_UP_MAX_AGE from a session
user, and a token with the `operate` scope, whose user has an authenticator, from a token client.

Pages: decorate the view with `@step_up_required`. API: add `StepUpPermission` to the view's
permission classes (for some actions of a viewset only: list them in `step_up_actions`).
"""

from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework import exceptions, permissions

from lpmplanner.models import ApiToken, SecurityEvent
from lpmplanner.security.events import security_event
from lpmplanner.security.twofactor import second_factor_age, two_factor_enrolled

STEP_UP_MESSAGE = "This action needs a fresh code from your authenticator app."
OPERATE_WITHOUT_AUTHENTICATOR = (
    "This token's user has no authenticator app: operate tokens run dangerous actions only for "
    "users with two-factor sign-in. Set one up on Your account, then create a new token."
)


def second_factor_fresh(request) -> bool:
    """True when this session gave its second factor within STEP_UP_MAX_AGE."""
    age = second_factor_age(request)
    return age is not None and age <= settings.STEP_UP_MAX_AGE.total_seconds()


def step_up_url(request, next_url: str) -> str:
    return f"{reverse('step-up')}?{urlencode({'next': next_url})}"


def _back_to(request) -> str:
    """Where to come back after stepping up: the page itself for a GET, else the page the form
    was on (a POST cannot be replayed; the user presses the button again)."""
    if request.method == "GET":
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse("dashboard")


def step_up_refuse(request, action: str):
    """The answer to a page request whose second factor is too old: log it, then send the user
    to give a fresh one."""
    security_event(kind=SecurityEvent.Kind.STEP_UP_REFUSED, request=request, action=action)
    messages.warning(request, f"{STEP_UP_MESSAGE} Enter it, then repeat the action.")
    return redirect(step_up_url(request, _back_to(request)))


def step_up_required(view):
    """Page views: refuse the request (sending the user to the step-up page and back) unless
    the session's second factor is fresh."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not second_factor_fresh(request):
            return step_up_refuse(request, view.__name__)
        return view(request, *args, **kwargs)

    wrapper.step_up = True
    return wrapper


def _api_step_up_problem(request, action: str) -> str | None:
    """None when the API request may run a dangerous action, else why not (logged)."""
    if isinstance(request.auth, ApiToken):
        if not request.auth.allows(ApiToken.Scope.OPERATE):
            problem = f"This token's scope is {request.auth.scope}: this action needs operate."
        elif not two_factor_enrolled(request.auth.user):
            problem = OPERATE_WITHOUT_AUTHENTICATOR
        else:
            return None
        security_event(
            kind=SecurityEvent.Kind.STEP_UP_REFUSED,
            request=request,
            action=action,
            token=request.auth.name,
        )
        return problem
    if second_factor_fresh(request._request):
        return None
    security_event(kind=SecurityEvent.Kind.STEP_UP_REFUSED, request=request, action=action)
    return StepUpPermission.message


def step_up_demand(request, *, action: str) -> None:
    """For API code that decides on the data (e.g. which HMC fields change): raise 403 unless
    the request may run a dangerous action."""
    problem = _api_step_up_problem(request, action)
    if problem is not None:
        raise exceptions.PermissionDenied(problem)


class StepUpPermission(permissions.BasePermission):
    """Token clients need a token with the `operate` scope; session clients a second factor
    given within STEP_UP_MAX_AGE (403 with a message saying so).

    On a viewset, `step_up_actions = {"create_on_hmc", …}` limits it to those actions (names of
    the viewset's actions, or "action:METHOD" for one method of an action).
    """

    message = (
        f"{STEP_UP_MESSAGE} Give one at /account/step-up/ in the browser; API tokens need the "
        "operate scope."
    )

    def has_permission(self, request, view) -> bool:
        action = getattr(view, "action", None) or type(view).__name__
        actions = getattr(view, "step_up_actions", None)
        if actions is not None and not {action, f"{action}:{request.method}"} & set(actions):
            return True
        problem = _api_step_up_problem(request, action)
        if problem is not None:
            self.message = problem
            return False
        return True
