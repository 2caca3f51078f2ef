"""The generic object-view layer on a model that has no pages of its own (组织 Organisation).

The pages below are the recipe of docs/generic-views.md — a table, a filterset, a form and four
one-line views — wired into a URL configuration for this test only. They are exercised for real:
filter, sort, paginate, export the filtered list as xlsx, detail with history, edit (stale save
refused), delete audited, 403 outside the user's region scope.
"""

from __future__ import annotations

import io
import re
import types

import django_filters
import pytest
from django import forms
from django.urls import include, path
from openpyxl import load_workbook

from cityrenew import urls as site_urls
from cityrenew.core.generic import (
    Column,
    ObjectDeleteView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
    ObjectView,
    Table,
    object_urls,
)
from cityrenew.core.models import AuditLog, Organisation, Region

pytestmark = pytest.mark.django_db


# --- the recipe -----------------------------------------------------------------------------------------


class OrganisationTable(Table):
    columns = [Column("name", "名称", order_by="name", link=True), Column("kind", "类型", order_by="kind"),
               Column("region", "所属区划"), Column("contact", "联系人")]


class OrganisationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="名称")

    class Meta:
        model = Organisation
        fields = ["q", "kind"]


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "kind", "region", "contact"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user


class Base:
    queryset = Organisation.objects.select_related("region")
    url_base = "orgs:organisation"


class OrganisationListView(Base, ObjectListView):
    filterset_class, table_class, paginate_by = OrganisationFilterSet, OrganisationTable, 10


class OrganisationView(Base, ObjectView):
    pass


class OrganisationEditView(Base, ObjectEditView):
    form_class = OrganisationForm


class OrganisationDeleteView(Base, ObjectDeleteView):
    pass


class OrganisationHistoryView(Base, ObjectHistoryView):
    pass


urlconf = types.ModuleType("generic_views_test_urls")  # a URL configuration for this test only
urlconf.urlpatterns = [
    path("orgs/", include((object_urls("organisation", list_view=OrganisationListView, detail_view=OrganisationView,
                                       edit_view=OrganisationEditView, delete_view=OrganisationDeleteView,
                                       history_view=OrganisationHistoryView), "orgs"))),
    *site_urls.urlpatterns,
]


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def orgs(regions, settings):
    settings.ROOT_URLCONF = urlconf
    zhongyuan, erqi = Region.objects.get(code="410102"), Region.objects.get(code="410103")
    made = []
    for i in range(23):  # 12 in 中原区 (departments), 11 in 二七区 (entities)
        region, kind = (zhongyuan, "department") if i % 2 == 0 else (erqi, "entity")
        made.append(Organisation.objects.create(name=f"测试单位{i:02d}", kind=kind, region=region, contact=f"联系人{i}"))
    return made


def login(client, user):
    assert client.login(username=user.username, password="pass-" + user.username)


def names_in(html: str) -> list[str]:
    return re.findall(r">(测试单位\d\d)<", html)


# --- list -----------------------------------------------------------------------------------------------


def test_list_filters_sorts_and_paginates(client, orgs, viewer):
    login(client, viewer)
    r = client.get("/orgs/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "共 23 条" in html and len(names_in(html)) == 10 and "第 1 / 3 页" in html
    html = client.get("/orgs/?kind=entity").content.decode()
    assert "共 11 条" in html and set(names_in(html)) <= {f"测试单位{i:02d}" for i in range(1, 23, 2)}
    html = client.get("/orgs/?ordering=-name").content.decode()
    assert names_in(html)[:3] == ["测试单位22", "测试单位21", "测试单位20"]
    assert "名称 ▼" in html
    html = client.get("/orgs/?ordering=name&page=3").content.decode()
    assert names_in(html) == ["测试单位20", "测试单位21", "测试单位22"]
    html = client.get("/orgs/?ordering=contact").content.decode()  # not a sortable column: ignored
    assert "共 23 条" in html
    # HTMX asks for the table alone
    r = client.get("/orgs/?q=测试单位1", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="organisation-table")
    html = r.content.decode()
    assert "<html" not in html and 'id="organisation-table"' in html and "共 10 条" in html


def test_export_is_the_whole_filtered_list(client, orgs, viewer):
    login(client, viewer)
    r = client.get("/orgs/?kind=department&ordering=-name&export=xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("名称", "类型", "所属区划", "联系人")
    assert len(rows) == 1 + 12  # all pages, only departments
    assert rows[1] == ("测试单位22", "行业部门", "中原区", "联系人22")


# --- detail, edit, delete -------------------------------------------------------------------------------


def test_detail_shows_fields_and_history(client, orgs, zhongyuan_editor, erqi_editor):
    org = orgs[0]  # 中原区
    login(client, zhongyuan_editor)
    r = client.post(f"/orgs/{org.pk}/edit/", {"name": "中原区住建局", "kind": "department", "region": org.region_id,
                                              "contact": "张三", "row_version": "1"})
    assert r.status_code == 302 and r["Location"] == f"/orgs/{org.pk}/"
    html = client.get(f"/orgs/{org.pk}/").content.decode()
    assert "中原区住建局" in html and "行业部门" in html and "变更记录" in html
    assert "测试单位00" in html and "zyeditor" in html  # the change, its old value and who made it
    assert 'data-testid="edit-button"' in html and 'data-testid="delete-button"' in html
    assert f'href="/orgs/{org.pk}/history/"' in html
    html = client.get(f"/orgs/{org.pk}/history/").content.decode()
    assert "变更记录" in html and "中原区住建局" in html and html.count("<tr>") == 3  # header, create, update
    client.logout()
    login(client, erqi_editor)
    html = client.get(f"/orgs/{org.pk}/").content.decode()
    assert 'data-testid="edit-button"' not in html


def test_edit_with_a_stale_version_is_refused(client, orgs, zhongyuan_editor):
    org = orgs[0]
    login(client, zhongyuan_editor)
    Organisation.objects.filter(pk=org.pk).update(contact="别人")  # version 2
    r = client.post(f"/orgs/{org.pk}/edit/", {"name": "新名", "kind": "department", "region": org.region_id,
                                              "contact": "我", "row_version": "1"})
    assert r.status_code == 409 and "已被他人修改" in r.content.decode()
    assert Organisation.objects.get(pk=org.pk).name == "测试单位00"


def test_delete_is_audited(client, orgs, zhongyuan_editor):
    org = orgs[0]
    login(client, zhongyuan_editor)
    assert "确定要删除组织" in client.get(f"/orgs/{org.pk}/delete/").content.decode()
    r = client.post(f"/orgs/{org.pk}/delete/", {"row_version": "1"})
    assert r.status_code == 302 and r["Location"] == "/orgs/"
    assert not Organisation.objects.filter(pk=org.pk).exists()
    entry = AuditLog.objects.get(object_id=str(org.pk), content_type__model="organisation", action="delete")
    assert entry.user == zhongyuan_editor and entry.changes["name"][0] == "测试单位00"


def test_403_outside_the_region_scope(client, orgs, zhongyuan_editor, viewer):
    erqi_org = orgs[1]
    before = AuditLog.objects.count()
    login(client, zhongyuan_editor)
    for method, url, data in [("get", f"/orgs/{erqi_org.pk}/edit/", None),
                              ("post", f"/orgs/{erqi_org.pk}/edit/", {"name": "x", "kind": "entity", "region": erqi_org.region_id}),
                              ("get", f"/orgs/{erqi_org.pk}/delete/", None),
                              ("post", f"/orgs/{erqi_org.pk}/delete/", {})]:
        r = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
        assert r.status_code == 403, (method, url)
        assert "无权" in r.content.decode() and "超出您的授权区划范围" in r.content.decode()
    client.logout()
    login(client, viewer)  # a read-only user can neither add nor edit
    assert client.get("/orgs/new/").status_code == 403
    assert client.get(f"/orgs/{orgs[0].pk}/edit/").status_code == 403
    assert AuditLog.objects.count() == before
    assert Organisation.objects.get(pk=erqi_org.pk).name == "测试单位01"


def test_create_through_the_generic_edit_view(client, orgs, zhongyuan_editor):
    login(client, zhongyuan_editor)
    assert client.get("/orgs/new/").status_code == 200
    r = client.post("/orgs/new/", {"name": "", "kind": "department", "region": orgs[0].region_id})
    assert r.status_code == 400 and "必填项" in r.content.decode()
    r = client.post("/orgs/new/", {"name": "新单位", "kind": "department", "region": orgs[0].region_id})
    assert r.status_code == 302
    org = Organisation.objects.get(name="新单位")
    assert AuditLog.for_object(org).get(action="create").user == zhongyuan_editor
