"""Account pages (two-factor enrolment and sign-in code, step-up, recovery codes, API tokens)
and the administrators' security log."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from lpmplanner.models import ApiToken, SecurityEvent
from lpmplanner.security import oidc, tokens, twofactor
from lpmplanner.security.events import security_event
from lpmplanner.security.forms import (
    CodeForm,
    SecurityEventFilterSet,
    SignInForm,
    TokenCreateForm,
)
from lpmplanner.security.spreadsheets import csv_writer
from lpmplanner.security.stepup import second_factor_fresh, step_up_refuse, step_up_required

NEW_TOKEN_SESSION_KEY = "lpm_new_token"  # noqa: S105 (a session key's name)
NEW_CODES_SESSION_KEY = "lpm_new_recovery_codes"


def _next(request: HttpRequest, default: str = "dashboard") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


class SignInView(LoginView):
    """Django's login page, with our form and the "Sign in with <provider>" button when an
    OpenID Connect provider is configured."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if oidc.oidc_enabled():
            context["provider_name"] = oidc.provider_name()
        return context


def account(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own page: two-factor state, recovery codes, API tokens."""
    user = request.user
    context = {
        "enrolled": twofactor.two_factor_enrolled(user),
        "required": twofactor.two_factor_required(user),
        "recovery_left": twofactor.recovery_codes_left(user),
        "new_token": request.session.pop(NEW_TOKEN_SESSION_KEY, None),
        "api_tokens": ApiToken.objects.filter(user=user),
        "token_form": TokenCreateForm(),
    }
    return render(request, "account/account.html", context)


@sensitive_post_parameters("code")
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: a QR code and its secret, confirmed with a first code."""
    user = request.user
    enrolled = twofactor.two_factor_enrolled(user)
    if enrolled and not request.user.is_verified():
        return redirect("two-factor-verify")
    if enrolled and not second_factor_fresh(request):  # replacing the authenticator
        return step_up_refuse(request, "two_factor_enrol")
    device = user.totpdevice_set.filter(confirmed=False).first()
    form = CodeForm(request.POST or None)
    if request.method == "POST" and device is not None and form.is_valid():
        if twofactor.totp_device_confirm(
            request=request, device=device, code=form.cleaned_data["code"]
        ):
            request.session[NEW_CODES_SESSION_KEY] = twofactor.recovery_codes_issue(
                request=request, user=user
            )
            messages.success(request, "Two-factor sign-in is on. Keep your recovery codes safe.")
            return _codes_page_redirect(_next(request, "account"))
        form.add_error("code", "That code is not right; check the app's clock and try again.")
    if device is None or request.method == "GET":
        device = twofactor.totp_device_start(user=user)
    context = {
        "form": form,
        "secret": twofactor.totp_secret(device),
        "qr": twofactor.totp_qr_svg(device),
        "required": twofactor.two_factor_required(user),
        "enrolled": enrolled,
        "next": _next(request, "account"),
    }
    return render(request, "account/enrol.html", context)


def _code_page(request: HttpRequest, *, step_up: bool) -> HttpResponse:
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = twofactor.second_factor_wait(request.user)
        device = twofactor.second_factor_check(user=request.user, code=form.cleaned_data["code"])
        if device is not None:
            kind = SecurityEvent.Kind.STEP_UP if step_up else SecurityEvent.Kind.SECOND_FACTOR
            twofactor.second_factor_record(request=request, device=device, kind=kind)
            return redirect(_next(request))
        security_event(
            kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED,
            request=request,
            reason="throttled" if wait else "wrong",
        )
        if wait:
            form.add_error(
                "code", f"Too many wrong codes: wait {wait} seconds, then enter a new code."
            )
        else:
            form.add_error(
                "code",
                "That code is not right, or was used already. After a wrong code, wait a few "
                "seconds before the next try.",
            )
    context = {"form": form, "step_up": step_up, "next": _next(request)}
    return render(request, "account/verify.html", context)


@sensitive_post_parameters("code")
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of sign-in for a user with an authenticator."""
    if not twofactor.two_factor_enrolled(request.user):
        return redirect("two-factor-enrol")
    if request.user.is_verified():
        return redirect(_next(request))
    return _code_page(request, step_up=False)


@sensitive_post_parameters("code")
def step_up(request: HttpRequest) -> HttpResponse:
    """A fresh code before a dangerous action."""
    if not twofactor.two_factor_enrolled(request.user):
        messages.warning(request, "Dangerous actions need two-factor sign-in: set it up first.")
        return redirect(f"{reverse('two-factor-enrol')}?{urlencode({'next': _next(request)})}")
    return _code_page(request, step_up=True)


def _codes_page_redirect(next_url: str) -> HttpResponse:
    return redirect(f"{reverse('recovery-codes-new')}?{urlencode({'next': next_url})}")


@require_http_methods(["GET", "POST"])
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    """POST: ten new recovery codes (a fresh second factor first). GET: the codes just issued
    (here or by an enrolment), shown once, then on to `next`."""
    if request.method == "POST":
        if not second_factor_fresh(request):
            return step_up_refuse(request, "recovery_codes_new")
        request.session[NEW_CODES_SESSION_KEY] = twofactor.recovery_codes_issue(
            request=request, user=request.user
        )
        return _codes_page_redirect(reverse("account"))
    codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    if not codes:
        return redirect("account")
    context = {"new_codes": codes, "next": _next(request, "account")}
    return render(request, "account/recovery_codes.html", context)


@require_POST
@step_up_required
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    twofactor.two_factor_remove(request=request, user=request.user)
    messages.success(request, "Your authenticator and recovery codes are removed.")
    return redirect("account")


@require_POST
def api_token_create(request: HttpRequest) -> HttpResponse:
    """A new token, shown once; an `operate` token needs a fresh second factor (step-up)."""
    form = TokenCreateForm(request.POST)
    operate = form.is_valid() and form.cleaned_data["scope"] == ApiToken.Scope.OPERATE
    if operate and twofactor.two_factor_enrolled(request.user) and not second_factor_fresh(request):
        return step_up_refuse(request, "api_token_create")
    if form.is_valid():
        try:
            token, key = tokens.api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                days=form.cleaned_data["expires_in_days"],
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            request.session[NEW_TOKEN_SESSION_KEY] = {"name": token.name, "key": key}
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("account")


@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    tokens.api_token_revoke(token=token, request=request)
    messages.success(request, f"The token {token.name} is revoked.")
    return redirect("account")


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in: the lockout page, or JSON under /api/
    (429, with Retry-After in seconds)."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = int(cool_off.total_seconds() // 60)
    message = (
        "Too many failed sign-ins for this account or from this address. Sign-in is locked "
        f"for {minutes} minutes; try again later, or ask an administrator to lift the lock."
    )
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
        response["Retry-After"] = str(int(cool_off.total_seconds()))
        return response
    context = {"cooloff_time": f"{minutes} minutes"}
    return render(request, "registration/locked_out.html", context, status=429)


def _security_events(request: HttpRequest) -> SecurityEventFilterSet:
    return SecurityEventFilterSet(
        request.GET or None, queryset=SecurityEvent.objects.select_related("user")
    )


@permission_required("lpmplanner.view_securityevent", raise_exception=True)
def security_log(request: HttpRequest) -> HttpResponse:
    """Every security event, newest first, filterable by kind, user, address and time."""
    filterset = _security_events(request)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filter": filterset, "page": page, "querystring": query.urlencode()}
    return render(request, "account/security_log.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_COLUMNS = ("when", "kind", "username", "address", "request_id", "data")


@permission_required("lpmplanner.view_securityevent", raise_exception=True)
def security_log_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered security log as CSV, every matching row."""
    writer = csv_writer(_Echo())
    rows = _security_events(request).qs.values_list(*CSV_COLUMNS).iterator(chunk_size=2000)

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for when, kind, username, address, request_id, data in rows:
            yield writer.writerow(
                [when.isoformat(), kind, username, address or "", request_id, data]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="security-log.csv"'
    return response
