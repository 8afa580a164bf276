"""The Notifications page's forms: a subscription, a webhook. The models judge them."""

from django import forms

from inventory.forms import bootstrap
from lpmplanner.notifications.models import Subscription, Webhook


class SubscriptionForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = ["kind", "frame", "hmc", "channel", "webhook"]
        labels = {"frame": "Only about frame", "hmc": "Only about HMC"}

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, instance=Subscription(user=user), **kwargs)
        self.fields["webhook"].queryset = Webhook.objects.filter(user=user)
        bootstrap(self.fields)


class WebhookForm(forms.ModelForm):
    secret = forms.CharField(
        widget=forms.PasswordInput,
        strip=False,
        help_text="At least 16 characters: the receiver checks the HMAC-SHA256 signature with "
        "it. Stored encrypted, never shown again.",
    )

    class Meta:
        model = Webhook
        fields = ["name", "url", "secret"]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, instance=Webhook(user=user), **kwargs)
        bootstrap(self.fields)
