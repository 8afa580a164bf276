"""Sign-in enforcement for every page."""

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from rest_framework.views import APIView


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
