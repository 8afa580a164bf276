"""Log lines: one per event, JSON with LOG_FORMAT=json, each carrying the request id and user
(in the web process) or the task and job id (in a worker), through structlog's formatter for
the standard library's records.

Only the logging configuration in settings and the request-id middleware use this module.
"""

import contextvars
import logging

import structlog
from celery import signals
from django.core.signals import request_finished
from django.utils.functional import empty

task_logger = logging.getLogger("lpmplanner.tasks")
_request: contextvars.ContextVar = contextvars.ContextVar("lpm_log_request", default=None)
# Keys whose values never reach a log line, whoever passes them.
SECRET_KEYS = frozenset({"password", "passwd", "token", "secret", "authorization", "otp", "key"})


def request_bind(request) -> None:
    """The request this thread now serves: its id on every line, its user once known."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request.id)
    _request.set(request)


def request_unbind(**kwargs) -> None:
    """The request has been answered and its response closed: no more lines are its own."""
    structlog.contextvars.clear_contextvars()
    _request.set(None)


request_finished.connect(request_unbind, dispatch_uid="lpmplanner.logs.request_unbind")


def _user_known(request):
    """The request's user if authentication already found it (never a query of its own)."""
    user = request.__dict__.get("user")
    wrapped = getattr(user, "_wrapped", None)
    if wrapped is not None:  # Django's lazy user: only once something evaluated it
        user = None if wrapped is empty else wrapped
    return user if getattr(user, "is_authenticated", False) else None


def add_user(logger, method_name, event_dict):
    request = _request.get()
    if request is not None and "user" not in event_dict:
        user = _user_known(request)
        if user is not None:
            event_dict["user"] = user.get_username()
    return event_dict


def drop_secrets(logger, method_name, event_dict):
    for key in list(event_dict):
        if key.lower() in SECRET_KEYS:
            event_dict[key] = "********"
    return event_dict


def render_plain(logger, method_name, event_dict) -> str:
    """`time LEVEL logger: message key=value …`, the exception (if any) kept on the line."""
    head = "{} {} {}: {}".format(
        event_dict.pop("timestamp", "-"),
        event_dict.pop("level", "-").upper(),
        event_dict.pop("logger", "-"),
        event_dict.pop("event", ""),
    )
    exception = event_dict.pop("exception", None)
    tail = " ".join(f"{key}={value}" for key, value in event_dict.items())
    line = f"{head} {tail}".rstrip()
    return f"{line} exception={exception!r}" if exception else line


def formatter(json: bool = False) -> structlog.stdlib.ProcessorFormatter:
    """The formatter of the console handler (settings.LOGGING)."""
    pre_chain = [
        structlog.contextvars.merge_contextvars,
        add_user,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            drop_secrets,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer() if json else render_plain,
        ],
    )


@signals.task_prerun.connect
def _task_bind(task_id=None, task=None, args=None, **kwargs) -> None:
    # A job's task takes the job row's id first: it names the job on every line.
    structlog.contextvars.clear_contextvars()
    context = {"task": task.name, "task_id": task_id}
    if args and isinstance(args[0], int):
        context["job_id"] = args[0]
    structlog.contextvars.bind_contextvars(**context)


@signals.task_postrun.connect
def _task_unbind(task=None, state=None, **kwargs) -> None:
    task_logger.info("task finished", extra={"state": state})
    structlog.contextvars.clear_contextvars()
