"""The REST API's shared policy: pagination and one JSON shape for every error."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from lpmplanner.exceptions import Conflict


class Pagination(LimitOffsetPagination):
    """`{"count", "next", "previous", "results"}` with `limit`/`offset`."""

    default_limit = 50
    max_limit = 1000


def _validation_detail(error: DjangoValidationError) -> dict | list:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def exception_handler(exc, context):
    """DRF's handler, plus the errors our services raise: a model's ValidationError is a 400
    naming the field, a Conflict or a uniqueness race is a 409; never a 500 for bad input."""
    if isinstance(exc, DjangoValidationError):
        return Response(_validation_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Conflict):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, IntegrityError):
        return Response(
            {"detail": "This change conflicts with data saved meanwhile; reload and try again."},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
