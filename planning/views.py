"""Planning and zoning pages."""

from django.http import HttpRequest, HttpResponse

from lpmplanner.sections import section_page


def index(request: HttpRequest) -> HttpResponse:
    return section_page(
        request,
        title="Planning",
        purpose="The enumeration scheme, estate checks, stub-LPAR twins and evacuation plans.",
        links=[],
    )


def zoning_index(request: HttpRequest) -> HttpResponse:
    return section_page(
        request,
        title="Zoning",
        purpose="WWN zoning sheets and switch scripts per fabric, for the SAN team.",
        links=[],
    )
