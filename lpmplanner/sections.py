"""The landing page of each navigation section, listing the pages the section holds."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def section_page(
    request: HttpRequest, *, title: str, purpose: str, links: list[tuple[str, str]]
) -> HttpResponse:
    return render(request, "section.html", {"title": title, "purpose": purpose, "links": links})
