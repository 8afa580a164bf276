"""Migration pages."""

from django.http import HttpRequest, HttpResponse

from lpmplanner.sections import section_page


def index(request: HttpRequest) -> HttpResponse:
    return section_page(
        request,
        title="Migrations",
        purpose="Partition migrations run against the HMCs, with their progress and logs.",
        links=[],
    )
