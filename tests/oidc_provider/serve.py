"""Run the test provider: `python -m tests.oidc_provider.serve PORT REDIRECT_URI DIR`.

Creates its database in DIR, its users (see USERS) and the client `lpmplanner` whose only
redirect URI is REDIRECT_URI, then serves on 127.0.0.1:PORT until stopped.
"""

import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "lpmplanner"
CLIENT_SECRET = "rp-secret-for-tests"
PASSWORD = "provider-Pa55"
# user name: the provider's groups (`mfa`: the provider asserts a multi-factor sign-in)
USERS = {
    "opal": ["lpm-operators", "mfa"],
    "nina": ["lpm-operators"],
    "pia": ["lpm-planners"],
}


def main(port: int, redirect_uri: str, directory: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    os.environ["PROVIDER_RSA_KEY"] = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    os.environ["PROVIDER_DB"] = str(directory / "provider.sqlite3")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"

    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    for username, groups in USERS.items():
        user = User.objects.create_user(
            username,
            email=f"{username}@example.com",
            password=PASSWORD,
            first_name=username.title(),
            last_name="Provider",
        )
        user.groups.set(Group.objects.get_or_create(name=name)[0] for name in groups)
    Application.objects.create(
        name="lpmplanner",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        skip_authorization=True,
        algorithm=Application.RS256_ALGORITHM,
    )
    run("127.0.0.1", port, get_wsgi_application(), threading=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
