"""Forms of the account pages and the security log's filter."""

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from lpmplanner.models import ApiToken, SecurityEvent
from lpmplanner.security.ldap import DIRECTORY_DOWN_ATTR, DIRECTORY_DOWN_MESSAGE


class SignInForm(AuthenticationForm):
    """Django's sign-in form, which says when the directory could not be asked rather than
    blaming the password."""

    def get_invalid_login_error(self):
        if getattr(self.request, DIRECTORY_DOWN_ATTR, False):
            return ValidationError(DIRECTORY_DOWN_MESSAGE, code="directory_unreachable")
        return super().get_invalid_login_error()


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Authentication code",
        max_length=16,
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "class": "form-control",
            }
        ),
    )


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"class": "form-control"}))
    scope = forms.ChoiceField(
        choices=ApiToken.Scope.choices,
        initial=settings.API_TOKEN_DEFAULT_SCOPE,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    expires_in_days = forms.IntegerField(
        label="Expires in (days)",
        min_value=1,
        max_value=settings.API_TOKEN_MAX_DAYS,
        initial=settings.API_TOKEN_DEFAULT_DAYS,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )


class SecurityEventFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=SecurityEvent.Kind.choices)
    user = django_filters.CharFilter(field_name="username", lookup_expr="icontains")
    address = django_filters.CharFilter(field_name="address", lookup_expr="startswith")
    since = django_filters.DateTimeFilter(field_name="when", lookup_expr="gte")
    until = django_filters.DateTimeFilter(field_name="when", lookup_expr="lte")

    class Meta:
        model = SecurityEvent
        fields = ["kind", "user", "address", "since", "until"]
