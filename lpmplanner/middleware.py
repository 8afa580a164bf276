"""Sign-in enforcement for every page, and a request id for the change history and the logs."""

import re
import uuid

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from rest_framework.views import APIView

from lpmplanner.logs import request_bind


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Django's: every page redirects an anonymous visitor to the login page.

    API views are left to DRF, which authenticates tokens as well as sessions (this middleware
    sees only the session) and answers 401/403 in JSON rather than with a redirect.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class RequestIdMiddleware:
    """Give every request an id (the caller's X-Request-ID when it is a UUID), kept on
    `request.id`, recorded with every change it makes and echoed in the response."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request.id = given if re.fullmatch(r"[0-9a-fA-F-]{36}", given) else str(uuid.uuid4())
        # Every log line of this request carries its id, until the response is closed (see
        # lpmplanner.logs): Django logs a 4xx/5xx response after the middleware has returned,
        # and a streamed body is produced after that too.
        request_bind(request)
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response
