"""The REST API's shared policy: pagination, one JSON shape for every error, and the OpenAPI
schema's account of those errors."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import filters, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from lpmplanner.exceptions import Conflict


class Pagination(LimitOffsetPagination):
    """`{"count", "next", "previous", "results"}` with `limit`/`offset`."""

    default_limit = 50
    max_limit = 1000


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=` as DRF reads it, then the primary key: rows equal in the fields asked for
    (every LPAR of a frame, sorted by frame) have no order of their own in SQL, so one page's
    query and the next could each place them differently and a row show on two pages or on
    none. The key decides between them, the same on every page."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        if any(field.lstrip("-") in ("pk", _pk_name(queryset)) for field in ordering):
            return ordering
        return [*ordering, "pk"]


def _pk_name(queryset) -> str | None:
    model = getattr(queryset, "model", None)
    return model._meta.pk.name if model is not None else None


def validation_detail(error: DjangoValidationError) -> dict[str, list]:
    """A Django ValidationError as the API's 400 body: messages per field."""
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
        return Response(validation_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Conflict):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, IntegrityError):
        return Response(
            {"detail": "This change conflicts with data saved meanwhile; reload and try again."},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)


MESSAGES = {"type": "array", "items": {"type": "string"}}


def _field_errors(*, depth: int) -> dict:
    """A field's errors: its messages; or, for a list or a nested object, the errors of each
    item or field, by position or name (or as a list, one per item), `depth` levels down (a
    batch's jobs, each with its storage mappings)."""
    if depth == 0:
        return MESSAGES
    inner = _field_errors(depth=depth - 1)
    return {
        "anyOf": [
            MESSAGES,
            {"type": "object", "additionalProperties": inner},
            {"type": "array", "items": {"type": "object", "additionalProperties": inner}},
        ]
    }


ERROR_SCHEMAS = {
    "Error": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "ValidationError": {
        "type": "object",
        "description": "Messages per field (`non_field_errors` for the object as a whole), or "
        "`detail` alone when the request could not be read.",
        "properties": {"detail": {"type": "string"}},
        "additionalProperties": MESSAGES,
    },
    "NestedValidationError": {
        "type": "object",
        "description": "Messages per field, as in ValidationError; a list field's messages are "
        'keyed by the item\'s position (`{"wwpns": {"0": ["…"]}}`), and a list of objects has '
        'the messages of each item by position (`{"jobs": {"1": {"lpar": ["…"]}}}`).',
        "properties": {"detail": {"type": "string"}},
        "additionalProperties": _field_errors(depth=4),
    },
}
ERROR_RESPONSES = {
    "400": ("ValidationError", "The request is invalid; the body names each field and the rule."),
    "401": ("Error", "Not signed in: send `Authorization: Token <token>` or a session cookie."),
    "403": ("Error", "Your role does not allow this (or a session write lacks its CSRF token)."),
    "404": ("Error", "No such object."),
    "409": (
        "Error",
        "The change conflicts with the current state: the object is still in use, "
        "or the data changed meanwhile.",
    ),
    "415": (
        "Error",
        "The body is not in a media type this operation reads (see its request body).",
    ),
    "429": ("Error", "Too many tries: wait the seconds the `Retry-After` header gives."),
    "502": (
        "Error",
        "The HMC did not answer as it should (unreachable, login refused, changed "
        "host key): the detail says which.",
    ),
}
WRITES = {"post", "put", "patch", "delete"}


def _error_codes(path: str, method: str, operation: dict, view) -> list[str]:
    codes = []
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    if method in WRITES - {"delete"} or has_query:
        codes.append("400")
    if view.get_permissions():
        codes += ["401", "403"]
    if "{" in path:
        codes.append("404")
    if method in WRITES and hasattr(view, "get_queryset"):
        codes.append("409")
    # Answers particular to a view: `extra_error_codes = {"<action or method>": ("502", …)}`
    # (an action's name, "action:METHOD", or the HTTP method in lower case).
    extra = getattr(view, "extra_error_codes", {})
    action = getattr(view, "action", None)
    for key in (method, action, f"{action}:{method.upper()}"):
        codes += [code for code in extra.get(key, ()) if code not in codes]
    return codes


def error_responses_hook(result: dict, generator, request, public: bool) -> dict:
    """drf-spectacular postprocessing hook: document on every operation the errors it can answer
    with (400 on input, 401/403 on views that need a login, 404 on one object, 409 on writes to
    a model), in the shapes the exception handler gives them."""
    views = {}
    for path, _regex, method, callback in generator.endpoints:
        view = generator.create_view(callback, method)
        views[generator.coerce_path(path, method, view), method.lower()] = view
    used = set()
    for path, operations in result["paths"].items():
        for method, operation in operations.items():
            view = views.get((path, method))
            if view is None:
                continue
            responses = operation.setdefault("responses", {})
            for code in _error_codes(path, method, operation, view):
                schema, description = ERROR_RESPONSES[code]
                if code == "400":
                    # Views whose input has lists or nested objects: `validation_error_schema =
                    # "NestedValidationError"`.
                    schema = getattr(view, "validation_error_schema", schema)
                if code not in responses:
                    responses[code] = {
                        "description": description,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/{schema}"}
                            }
                        },
                    }
                    used.add(schema)
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name in sorted(used):
        schemas.setdefault(name, ERROR_SCHEMAS[name])
    return result
