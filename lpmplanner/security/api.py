"""`POST /api/auth/token/`: a user name and password (and an authenticator code for two-factor
users) give a new API token, shown once."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lpmplanner.models import ApiToken, SecurityEvent
from lpmplanner.security import tokens, twofactor
from lpmplanner.security.events import security_event
from lpmplanner.security.ldap import DIRECTORY_DOWN_ATTR, DIRECTORY_DOWN_MESSAGE


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="A code from the authenticator app (or a recovery code): needed by users "
        "who have two-factor sign-in.",
    )
    name = serializers.CharField(required=False, max_length=100, help_text="Default: the time.")
    scope = serializers.ChoiceField(
        choices=ApiToken.Scope.choices, default=settings.API_TOKEN_DEFAULT_SCOPE
    )
    expires_in_days = serializers.IntegerField(
        min_value=1,
        max_value=settings.API_TOKEN_MAX_DAYS,
        default=settings.API_TOKEN_DEFAULT_DAYS,
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`; shown once.")
    name = serializers.CharField()
    scope = serializers.ChoiceField(choices=ApiToken.Scope.choices)
    expires = serializers.DateTimeField()


@method_decorator(sensitive_post_parameters("password", "otp"), name="dispatch")
class ObtainTokenView(APIView):
    """Exchange a user name and password (and a second factor where the account has one) for a
    new named, scoped, expiring token."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []
    # 429: locked out after failed sign-ins, or a code too soon after wrong ones.
    extra_error_codes = {"post": ("429",)}

    @extend_schema(request=TokenRequestSerializer, responses=TokenSerializer, auth=[])
    def post(self, request: Request) -> Response:
        given = TokenRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        user = authenticate(
            request=request._request, username=data["username"], password=data["password"]
        )
        if user is None:
            unreachable = getattr(request._request, DIRECTORY_DOWN_ATTR, False)
            message = (
                DIRECTORY_DOWN_MESSAGE
                if unreachable
                else "Unable to log in with provided credentials."
            )
            raise serializers.ValidationError({"non_field_errors": [message]})
        if twofactor.two_factor_enrolled(user):
            code = data.get("otp", "")
            wait = twofactor.second_factor_wait(user)
            if twofactor.second_factor_check(user=user, code=code) is None:
                reason = "throttled" if wait else "wrong" if code.strip() else "missing"
                security_event(
                    kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED,
                    request=request,
                    user=user,
                    channel="api token",
                    reason=reason,
                )
                if wait:
                    return Response(
                        {
                            "detail": f"Too many wrong codes: wait {wait} seconds, then try again "
                            "with a new code from your authenticator app."
                        },
                        status=status.HTTP_429_TOO_MANY_REQUESTS,
                        headers={"Retry-After": str(wait)},
                    )
                raise serializers.ValidationError(
                    {"otp": ["A current code from your authenticator app is required."]}
                )
        elif twofactor.two_factor_required(user):
            raise serializers.ValidationError(
                {
                    "otp": [
                        "Your role requires two-factor sign-in: sign in in the browser once "
                        "to set up an authenticator app, then ask for a token with its code."
                    ]
                }
            )
        token, key = tokens.api_token_create(
            user=user,
            name=data.get("name") or tokens.api_token_default_name(),
            scope=data["scope"],
            days=data["expires_in_days"],
            request=request,
        )
        body = {"token": key, "name": token.name, "scope": token.scope, "expires": token.expires}
        return Response(TokenSerializer(body).data)
