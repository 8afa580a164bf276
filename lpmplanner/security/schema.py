"""How the OpenAPI schema describes lpmplanner's two ways in: a token and the browser session."""

from drf_spectacular.authentication import SessionScheme, TokenScheme


class ApiTokenScheme(TokenScheme):
    target_class = "lpmplanner.security.tokens.ApiTokenAuthentication"


class VerifiedSessionScheme(SessionScheme):
    target_class = "lpmplanner.security.tokens.VerifiedSessionAuthentication"
