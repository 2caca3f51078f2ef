"""``/api/policies/search/?q=…&level=…&year=…&status=…&issuer=…&region=…&document=…&top=…``: article-level
search (read only), the same engine and filters as the search page (:mod:`cityrenew.policies.search`)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ..forms_search import SearchForm
from ..models import Level, Status
from ..search import search


class SearchHitSerializer(serializers.Serializer):
    doc = serializers.CharField(help_text="文件标题")
    doc_key = serializers.CharField(help_text="文件编码（规则引用此编码）")
    doc_number = serializers.CharField(help_text="文号，无文号为空")
    article = serializers.CharField(help_text="条款，如 第十二条、二、（三）")
    heading = serializers.CharField(help_text="条文标题")
    snippet = serializers.CharField(help_text="命中处附近的原文，命中词以【】标出")
    snippet_html = serializers.CharField(help_text="同上，HTML：命中词以 <mark> 标出，其余已转义")
    score = serializers.FloatField(help_text="相关度，越大越相关")
    url = serializers.CharField(help_text="条文页面地址（含锚点）")


class SearchResultSerializer(serializers.Serializer):
    query = serializers.CharField()
    count = serializers.IntegerField()
    results = SearchHitSerializer(many=True)


class SearchApiView(APIView):
    """政策检索：返回条文列表（文件、文号、条款、摘要，命中处标出），按相关度排序。"""

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True, description="检索词或问题，如 北京实施方案公示多少天"),
            OpenApiParameter("level", OpenApiTypes.STR, enum=Level.values, description="层级"),
            OpenApiParameter("status", OpenApiTypes.STR, enum=Status.values, description="效力状态"),
            OpenApiParameter("year", OpenApiTypes.INT, description="发布年份"),
            OpenApiParameter("issuer", OpenApiTypes.STR, description="发文机关（包含即可）"),
            OpenApiParameter("region", OpenApiTypes.STR, description="适用地区（包含即可）"),
            OpenApiParameter("document", OpenApiTypes.STR, description="只在该编码的文件中检索"),
            OpenApiParameter("top", OpenApiTypes.INT, description="最多返回条数（1–100，默认 10）"),
        ],
        responses=SearchResultSerializer,
    )
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
