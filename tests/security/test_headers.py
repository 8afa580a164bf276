"""Headers and cookies: a Content-Security-Policy of the app's own files, no inline script or
style outside a nonce in any template, frames refused, cookies HttpOnly."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import PASSWORD, login

pytestmark = pytest.mark.django_db
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_pages_send_the_policy_and_the_headers(client, viewer):
    login(client, viewer)
    response = client.get("/inventory/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert re.fullmatch(r"'self'( 'nonce-\S+')?", directives["script-src"])  # nonce when used
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_session_cookie_is_http_only(client, viewer):
    response = client.post("/login/", {"username": "vera", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_no_template_has_inline_script_or_style_outside_a_nonce():
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", text):
            if "src=" not in tag and "nonce=" not in tag:
                offenders.append(f"{template.name}: {tag}")
        if re.search(r"\sstyle=\"|\son[a-z]+=\"|hx-on", text):
            offenders.append(f"{template.name}: an inline style or event handler attribute")
    assert offenders == []


def test_swagger_ui_loads_its_start_up_script_as_a_file(client, viewer):
    login(client, viewer)
    page = client.get("/api/docs/")
    html = page.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", page["Content-Security-Policy"]).group(1)
    assert re.search(r"<script>", html) is None
    assert f'<style nonce="{nonce}">' in html
    script = re.search(r'<script src="(/api/docs/\?script=[^"]*)"', html).group(1)
    js = client.get(script.replace("&amp;", "&"))
    assert js.status_code == 200 and "SwaggerUIBundle" in js.content.decode()
