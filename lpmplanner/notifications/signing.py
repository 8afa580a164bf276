"""How a webhook payload is signed: `X-Lpmplanner-Signature: t=<unix time>,v1=<hex>` where hex is
HMAC-SHA256 of the webhook's secret over `<unix time>.<body bytes>`. A receiver recomputes it
and refuses a timestamp older than a few minutes (a replayed request)."""

import hashlib
import hmac
import time

HEADER = "X-Lpmplanner-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header's value for `body` signed now (or at `timestamp`)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(secret, body, timestamp)}"


def signature_verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """True when `header` signs `body` with `secret` and is no older than `tolerance` seconds:
    what a receiver written in Python checks."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, body, timestamp))
