"""Core: the region tree, region-scoped permissions and the audit log."""

from decimal import Decimal

import pytest

from cityrenew.core import audit, permissions
from cityrenew.core.models import AuditLog, Organisation, Region
from cityrenew.core.regions import load_regions, region_by_name

pytestmark = pytest.mark.django_db


def test_zhengzhou_tree_and_groups(regions):
    zz = Region.objects.get(code="410100")
    districts = zz.children.filter(level="district")
    grouped = {g: sorted(r.display_name for r in districts if r.group and r.group.name == g)
               for g in ["市内五区", "各开发区", "各区县（市）"]}
    assert grouped["市内五区"] == sorted(["中原区", "二七区", "金水区", "管城区", "惠济区"])
    assert grouped["各开发区"] == sorted(["经开区", "高新区", "郑东新区"])
    assert len(grouped["各区县（市）"]) == 7 and "上街区" in grouped["各区县（市）"]
    community = Region.objects.get(name="绿东村社区")
    assert [a.name for a in community.ancestors()] == ["河南省", "郑州市", "中原区", "绿东村街道", "绿东村社区"]
    assert community.city() == zz


def test_region_lookup_by_alias(regions):
    assert region_by_name("管城区").code == "410104"
    assert region_by_name("管城回族区").code == "410104"
    assert region_by_name("郑州高新区").code == "410172"
    assert region_by_name("不存在区") is None


def test_reloading_regions_changes_nothing(regions):
    before = AuditLog.objects.count()
    assert load_regions() == (0, 0)
    assert AuditLog.objects.count() == before


def test_district_editor_scope(zhongyuan_editor, city_admin, viewer, regions):
    zy, eq = regions["中原区"], regions["二七区"]
    street = Region.objects.get(name="绿东村街道")
    assert permissions.can_edit_regions(zhongyuan_editor, [zy.id])
    assert permissions.can_edit_regions(zhongyuan_editor, [street.id])
    assert not permissions.can_edit_regions(zhongyuan_editor, [eq.id])
    assert not permissions.can_edit_regions(zhongyuan_editor, [zy.id, eq.id])
    assert permissions.can_edit_regions(city_admin, [zy.id, eq.id])
    assert not permissions.can_edit_regions(viewer, [zy.id])
    assert not permissions.can_edit_any(viewer)


def test_every_change_is_audited_with_user_and_diff(city_admin, regions):
    with audit.actor(city_admin, "web"):
        org = Organisation.objects.create(name="测试实施主体有限公司", kind="entity", region=regions["中原区"])
        org.phone = "0371-12345678"
        org.save()
        org.save()  # no change → no log row
        pk = org.pk
        org.delete()
    logs = list(AuditLog.objects.filter(object_id=str(pk), content_type__model="organisation").order_by("id"))
    assert [l.action for l in logs] == ["create", "update", "delete"]
    assert all(l.user == city_admin and l.user_name == "cityadmin" for l in logs)
    assert logs[1].changes == {"phone": ["", "0371-12345678"]}
    assert logs[0].changes["name"] == [None, "测试实施主体有限公司"]


def test_decimal_changes_are_recorded_as_strings(city_admin):
    assert audit.to_jsonable(Decimal("1.107528")) == "1.107528"
    assert audit.to_jsonable(Decimal("388.000000")) == "388"
