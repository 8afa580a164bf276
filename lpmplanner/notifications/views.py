"""The user's Notifications page (under Account): their subscriptions and webhooks, and the
last deliveries to them."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from lpmplanner.notifications.forms import SubscriptionForm, WebhookForm
from lpmplanner.notifications.models import Delivery, Subscription, Webhook
from lpmplanner.notifications.services import webhook_save
from lpmplanner.permissions import may_read


def _page(request: HttpRequest, **forms) -> HttpResponse:
    user = request.user
    deliveries = Delivery.objects.filter(webhook__user=user)
    if user.email:
        deliveries |= Delivery.objects.filter(channel="email", recipient__iexact=user.email)
    context = {
        "subscriptions": Subscription.objects.filter(user=user).select_related(
            "frame", "hmc", "webhook"
        ),
        "webhooks": Webhook.objects.filter(user=user),
        "deliveries": deliveries.select_related("notification")[:20],
        "subscription_form": forms.get("subscription_form") or SubscriptionForm(user=user),
        "webhook_form": forms.get("webhook_form") or WebhookForm(user=user),
    }
    status = 400 if forms else 200
    return render(request, "account/notifications.html", context, status=status)


def _require_role(request: HttpRequest) -> None:
    if not may_read(request.user, None):
        raise PermissionDenied("Notifications are for users who hold a role.")


def notifications(request: HttpRequest) -> HttpResponse:
    _require_role(request)
    return _page(request)


@require_POST
def subscription_add(request: HttpRequest) -> HttpResponse:
    _require_role(request)
    form = SubscriptionForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, subscription_form=form)
    form.save()
    messages.success(request, f"Subscribed: {form.instance}.")
    return redirect("notifications")


@require_POST
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk, user=request.user)
    subscription.delete()
    messages.success(request, f"Unsubscribed: {subscription}.")
    return redirect("notifications")


@require_POST
@sensitive_post_parameters("secret")
def webhook_add(request: HttpRequest) -> HttpResponse:
    _require_role(request)
    form = WebhookForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            webhook_save(webhook=form.instance)
        except ValidationError as error:
            form.add_error(None, error)
    if not form.is_valid() or form.instance.pk is None:
        return _page(request, webhook_form=form)
    messages.success(request, f"Webhook {form.instance.name} added.")
    return redirect("notifications")


@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook, pk=pk, user=request.user)
    webhook.delete()
    messages.success(request, f"Webhook {webhook.name} and its subscriptions deleted.")
    return redirect("notifications")
