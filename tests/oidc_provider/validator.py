"""The claims the provider asserts: user name, e-mail, groups, and `amr` with `mfa` for the
members of its `mfa` group (who, in this provider, are said to have used a second factor)."""

from oauth2_provider.oauth2_validators import OAuth2Validator

MFA_GROUP = "mfa"


class ClaimsValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below, whatever the scopes

    def get_additional_claims(self, request):
        user = request.user
        groups = set(user.groups.values_list("name", flat=True))
        return {
            "preferred_username": user.username,
            "email": user.email,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "groups": sorted(groups - {MFA_GROUP}),
            "amr": ["pwd", "mfa"] if MFA_GROUP in groups else ["pwd"],
        }
