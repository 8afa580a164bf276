"""The Jobs page: every kind of background work the user may see, newest first, filtered by
kind, state and who asked, each row linking to its own page."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lpmplanner.jobs.forms import JobFilterForm
from lpmplanner.jobs.selectors import job_kinds_visible, job_rows, jobs_query
from lpmplanner.permissions import may_read

PER_PAGE = 25


def job_list(request: HttpRequest) -> HttpResponse:
    if not may_read(request.user, None):
        raise PermissionDenied("You have no role yet: ask an administrator to give you one.")
    kinds = job_kinds_visible(user=request.user)
    form = JobFilterForm(request.GET or None, kinds=kinds)
    rows, page = [], None
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        query = jobs_query(
            kinds=form.kinds_chosen(kinds) if form.is_bound else kinds,
            state=data.get("state", ""),
            username=data.get("user", "").strip(),
        )
        page = Paginator(query, PER_PAGE).get_page(request.GET.get("page"))
        rows = job_rows(page=page.object_list, kinds=kinds)
    query_string = request.GET.copy()
    query_string.pop("page", None)
    context = {
        "form": form,
        "rows": rows,
        "page": page,
        "query": query_string.urlencode(),
        # While a job on the page runs, the page reloads itself to follow it.
        "active": any(row.is_active for row in rows),
    }
    return render(request, "jobs/job_list.html", context)
