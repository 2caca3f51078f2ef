"""Fixtures of the reports tests: the Zhengzhou tree plus 洛阳市 (the demo's second city) with records."""

from __future__ import annotations

import pytest


@pytest.fixture
def two_cities(regions):
    """Both cities with the reports demo's records (Luoyang) and the users shengting / luoyang."""
    from cityrenew.core.models import Region
    from cityrenew.reports import demo

    logins = demo.load(report=False)
    return {"zhengzhou": Region.objects.get(code="410100"), "luoyang": Region.objects.get(code="410300"), "logins": logins}


@pytest.fixture
def luoyang_admin(two_cities):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="luoyang")


@pytest.fixture
def province_user(two_cities):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="shengting")
