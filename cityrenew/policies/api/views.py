"""Policy library API (read only): documents with their current status and article counts, and
their articles with items — the same filters as the list page (:mod:`cityrenew.policies.filtersets`)."""

from __future__ import annotations

from django.db.models import Count, Prefetch
from rest_framework import viewsets

from ..filtersets import PolicyDocumentFilterSet
from ..models import Article, Item, PolicyDocument
from ..status import with_current_status
from .serializers import ArticleSerializer, PolicyDocumentSerializer


class PolicyDocumentViewSet(viewsets.ReadOnlyModelViewSet):
    """政策文件（只读）：?level=city&year=2025&status=in_force&q=老旧小区；/api/policies/documents/<编码>/"""

    queryset = with_current_status(PolicyDocument.objects.annotate(n_articles=Count("articles"))).select_related("replaces")
    serializer_class = PolicyDocumentSerializer
    filterset_class = PolicyDocumentFilterSet
    lookup_field = "key"
    lookup_value_regex = "[^/]+"
    ordering_fields = ["order", "key", "issued", "title"]
    ordering = ["order", "key"]


class ArticleViewSet(viewsets.ReadOnlyModelViewSet):
    """条文（只读）：?document=MOF-2025-11，按文件内顺序。"""

    queryset = (Article.objects.select_related("document", "section")
                .prefetch_related(Prefetch("items", queryset=Item.objects.order_by("order")))
                .order_by("document__order", "document__key", "number"))
    serializer_class = ArticleSerializer
    filterset_fields = ["ref", "number"]
    search_fields = ["text", "heading"]

    def get_queryset(self):
        qs = super().get_queryset()
        key = self.request.query_params.get("document")
        return qs.filter(document__key=key) if key else qs
