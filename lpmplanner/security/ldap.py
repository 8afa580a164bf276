"""Sign-in with a directory password (LDAP / Active Directory, through django-auth-ldap).

Local accounts (those with a password kept here, the break-glass administrator among them) are
never taken over by the directory. When the directory cannot be asked, the request remembers it
so that the login page can say so instead of "wrong password".
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.dispatch import receiver
from django_auth_ldap.backend import LDAPBackend, ldap_error

from lpmplanner.security.directory import in_any_group, roles_for_groups, user_roles_apply

DIRECTORY_DOWN_ATTR = "lpm_directory_unreachable"
DIRECTORY_DOWN_MESSAGE = (
    "The directory (LDAP) cannot be reached, so directory accounts cannot sign in now. "
    "Local accounts still can. Try again in a few minutes or tell an administrator."
)


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap's backend, off while LDAP_SERVER_URI is empty, with roles (and being
    an administrator) following the user's directory groups at every sign-in."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.AUTH_LDAP_SERVER_URI or not username:
            return None
        local = get_user_model().objects.filter(username__iexact=username.strip()).first()
        if local is not None and local.has_usable_password():
            return None  # a local account: its password is checked here, not in the directory
        return super().authenticate(request, username=username, password=password, **kwargs)

    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is not None:
            groups = ldap_user.group_dns
            user_roles_apply(
                user=user,
                roles=roles_for_groups(groups, settings.LDAP_ROLE_GROUPS),
                admin=in_any_group(groups, settings.LDAP_ADMIN_GROUPS),
            )
        return user


@receiver(ldap_error)
def _directory_unreachable(sender, context, request=None, exception=None, **kwargs) -> None:
    if request is not None and context in {"authenticate", "search_for_user_dn"}:
        setattr(request, DIRECTORY_DOWN_ATTR, True)
