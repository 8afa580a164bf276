"""Inventory pages."""

from django.http import HttpRequest, HttpResponse

from lpmplanner.sections import section_page


def index(request: HttpRequest) -> HttpResponse:
    return section_page(
        request,
        title="Inventory",
        purpose="Frames, drawers, slots, adapters, WWPNs, VLANs, LPARs and virtual adapters.",
        links=[],
    )


def hmc_index(request: HttpRequest) -> HttpResponse:
    return section_page(
        request,
        title="HMCs",
        purpose="The Hardware Management Consoles lpmplanner talks to, and their frames.",
        links=[],
    )
