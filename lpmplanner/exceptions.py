"""Errors that services raise for every caller (browser, API, importer, tasks) to present."""


class Conflict(Exception):
    """The request clashes with the current state: an active migration exists, a range is full.

    The API answers 409 with the message; the browser shows it on the form.
    """
