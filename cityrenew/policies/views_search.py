"""The search page (政策检索): ``/policies/search/?q=…`` with filters, live results through HTMX."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.views import View

from .forms_search import SearchForm
from .models import PolicyDocument
from .search import search

PAGE_SIZE = 20


class SearchView(LoginRequiredMixin, View):
    template_name = "policies/search.html"
    partial_template_name = "policies/_search_results.html"

    def get(self, request):
        form = SearchForm(request.GET or None)
        hits, query = [], ""
        if form.is_bound and form.is_valid():
            query = form.cleaned_data["q"].strip()
            if query:
                hits = search(query, top=form.cleaned_data.get("top") or PAGE_SIZE, **form.filters())
        document = None
        if form.is_bound and form.is_valid() and form.cleaned_data.get("document"):
            document = PolicyDocument.objects.get(key=form.cleaned_data["document"])
        context = {"form": form, "hits": hits, "query": query, "document": document}
        if getattr(request, "htmx", False):
            return render(request, self.partial_template_name, context)
        return render(request, self.template_name, context)
