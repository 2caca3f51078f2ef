"""``/api/policies/search/?q=…&level=…&year=…&status=…&issuer=…&region=…&top=…``: article-level search
(read only), the same engine and filters as the search page (:mod:`cityrenew.policies.search`)."""

from __future__ import annotations

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from ..forms_search import SearchForm
from ..search import search


class SearchApiView(APIView):
    """政策检索：返回条文列表（文件、文号、条款、摘要，命中处以 <mark> 标出）。"""

    def get(self, request):
        form = SearchForm(request.query_params)
        if not form.is_valid():
            return Response({k: [str(e) for e in v] for k, v in form.errors.items()}, status=400)
        query = form.cleaned_data["q"].strip()
        if not query:
            return Response({"q": ["请输入检索词"]}, status=400)
        hits = search(query, top=form.cleaned_data.get("top") or 10, **form.filters())
        results = []
        for h in hits:
            row = h.as_dict()
            row["snippet_html"] = h.snippet_html()
            row["url"] = h.article.get_absolute_url() + f"#{h.article.anchor}"
            results.append(row)
        return Response({"query": query, "count": len(results), "results": results})


urlpatterns = [path("policies/search/", SearchApiView.as_view(), name="policy-search")]
