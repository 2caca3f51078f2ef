"""The project library's card on the home page (工作台)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .summary import compute_summary


def card(request: HttpRequest) -> dict[str, Any]:
    data = compute_summary()
    groups = "，".join(f"{g['name']} {g['total']}" for g in data["groups"])
    return {
        "title": "城市更新项目库",
        "value": f"{data['count']} 个 / {data['total']} 亿元",
        "subtitle": groups or "尚未导入项目",
        "url": reverse("projects:project_list"),
    }
