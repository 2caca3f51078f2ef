"""Field-level write rules: per role and per writable field of every API serializer and form that
writes, 0 writes outside the rules. The expected tables below are the specification (issue 7), kept
apart from the code's registry (cityrenew/*/fieldrules.py) so a change there is caught here."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import transaction

from cityrenew.core.models import AuditLog, Organisation, RegionGroup
from cityrenew.projects.forms import ProjectForm
from cityrenew.projects.models import ProjectFunding, RenewalProject

from .conftest import ROLES, api

pytestmark = pytest.mark.django_db

EDITORS = {"city_admin", "district_editor"}
CITY = {"city_admin"}

# field → (value to send for the 中原区 project K202201005, roles that may write it)
PROJECT_PATCHES = {
    "name": (lambda lib, r: "芝麻街1958双创园（二期）", EDITORS),
    "total_investment": (lambda lib, r: "51.500000", EDITORS),
    "category": (lambda lib, r: "old_factory", EDITORS),
    "status": (lambda lib, r: "implementing", EDITORS),  # 入库 → 实施: progress, not a batch
    "implementing_entity": (lambda lib, r: Organisation.objects.get(name="郑州市实施主体（安全测试）").pk, EDITORS),
    "start_year": (lambda lib, r: 2023, EDITORS),
    "end_year": (lambda lib, r: 2030, EDITORS),
    "location": (lambda lib, r: {"type": "Point", "coordinates": [113.62, 34.75]}, EDITORS),
    "description": (lambda lib, r: "概况补充", EDITORS),
    "districts": (lambda lib, r: [r["二七区"].pk], CITY),  # out of the district editor's scope
    "region_group": (lambda lib, r: RegionGroup.objects.get(name="各开发区").pk, CITY),
    "batch": (lambda lib, r: lib["later_batch"].pk, CITY),
    "seq": (lambda lib, r: 99, CITY),
    "code": (lambda lib, r: "K202201099", set()),  # never changed in place
}
V1_MESSAGES = {  # the refusals a 区级编辑 gets (issue 7, V1)
    "batch": "「入库批次」只能通过调整批次由市级管理员变更",
    "region_group": "「片区分组」只能通过调整批次由市级管理员变更",
    "seq": "「序号」只能通过调整批次由市级管理员变更",
    "code": "「项目编号」新建后不能修改",
}


def _stored(project: RenewalProject, field: str):
    project.refresh_from_db()
    if field == "districts":
        return sorted(project.districts.values_list("pk", flat=True))
    value = getattr(project, field + "_id" if field in ("implementing_entity", "region_group", "batch") else field)
    return value


@pytest.fixture
def entity(regions):
    return Organisation.objects.create(name="郑州市实施主体（安全测试）", kind="entity")


@contextmanager
def rolled_back():
    """Each field is tried on the same starting state: the write is undone after the check."""
    sid = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(sid)


@pytest.mark.parametrize("role", ROLES)
def test_project_api_patch_per_role_and_field(role, role_users, small_library, regions, entity):
    project = small_library["zhongyuan"]
    c = api(role_users[role])
    for field, (value, allowed) in sorted(PROJECT_PATCHES.items()):
        with rolled_back():
            value = value(small_library, regions)
            before, logs = _stored(project, field), AuditLog.objects.count()
            r = c.patch(f"/api/projects/{project.code}/", {field: value}, format="json")
            if role in allowed:
                assert r.status_code == 200, (field, r.content.decode())
                assert _stored(project, field) != before, field
                assert AuditLog.objects.count() > logs, field
            else:
                assert r.status_code in ((401, 403) if role == "anonymous" else (403,)), (field, r.content.decode())
                assert _stored(project, field) == before, field
                assert AuditLog.objects.count() == logs, field
                if role == "district_editor" and field in V1_MESSAGES:
                    assert V1_MESSAGES[field] in r.json()["detail"], field


def test_v1_patches_by_a_district_editor_are_refused(role_users, small_library, regions):
    """The four PATCHes of issue 7 that moved a project around the official tables without a batch."""
    c = api(role_users["district_editor"])
    p = small_library["zhongyuan"]
    logs = AuditLog.objects.count()
    group = RegionGroup.objects.get(name="各开发区")
    for payload, message in [
        ({"batch": small_library["later_batch"].pk}, "「入库批次」只能通过调整批次由市级管理员变更"),
        ({"status": "removed"}, "「项目状态」不能从“入库”改为“调出”：入库、调出只能通过调整批次由市级管理员变更"),
        ({"region_group": group.pk}, "「片区分组」只能通过调整批次由市级管理员变更"),
        ({"code": "K202201099"}, "「项目编号」新建后不能修改"),
        ({"batch": small_library["later_batch"].pk, "region_group": group.pk, "name": "x"},
         "「入库批次」「片区分组」只能通过调整批次由市级管理员变更"),
    ]:
        r = c.patch(f"/api/projects/{p.code}/", payload, format="json")
        assert r.status_code == 403, payload
        assert message in r.json()["detail"], r.json()
    # the same fields in a PUT: refused too, never silently ignored
    full = c.get(f"/api/projects/{p.code}/").json()
    r = c.put(f"/api/projects/{p.code}/", {**full, "status": "removed"}, format="json")
    assert r.status_code == 403 and "调出" in r.json()["detail"]
    # a PUT that sends back the stored workflow values unchanged is no write of them: accepted
    r = c.put(f"/api/projects/{p.code}/", {**full, "name": "芝麻街1958双创园（提质）"}, format="json")
    assert r.status_code == 200, r.content.decode()
    p.refresh_from_db()
    assert (p.status, p.batch_id, p.region_group_id, p.code) == ("library", small_library["batch"].pk,
                                                                 regions["中原区"].group_id, "K202201005")
    assert AuditLog.objects.count() == logs + 1  # only the name change
    # the city admin may run the workflow
    r = api(role_users["city_admin"]).patch(f"/api/projects/{p.code}/", {"status": "removed"}, format="json")
    assert r.status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_project_api_create_per_role(role, role_users, small_library, regions):
    """A district editor registers a project as 谋划/储备 in its district; 入库 and batch are the city's."""
    base = {"code": "K202601001", "name": "新项目", "districts": [regions["中原区"].pk], "total_investment": "1.5"}
    c = api(role_users[role])
    n = RenewalProject.objects.count()
    r = c.post("/api/projects/", {**base, "batch": small_library["later_batch"].pk, "status": "library"}, format="json")
    if role == "city_admin":
        assert r.status_code == 201, r.content.decode()
        assert RenewalProject.objects.get(code="K202601001").status == "library"
        return
    assert r.status_code in (401, 403) and RenewalProject.objects.count() == n
    r = c.post("/api/projects/", base, format="json")
    if role == "district_editor":
        assert r.status_code == 201, r.content.decode()
        created = RenewalProject.objects.get(code="K202601001")
        assert created.status == "planning" and created.batch_id is None  # not 入库 without a batch
        r = c.post("/api/projects/", {**base, "code": "K202601002", "status": "library"}, format="json")
        assert r.status_code == 403 and "新建项目只能为“谋划”或“储备”" in r.json()["detail"]
    else:
        assert r.status_code in (401, 403) and RenewalProject.objects.count() == n


# --- fundings and batches -------------------------------------------------------------------------

FUNDING_PATCHES = {
    "source": ("special_bond", EDITORS),
    "amount": ("3.25", EDITORS),
    "note": ("区级配套", EDITORS),
    "project": ("other", set()),  # a funding never moves to another project
}


@pytest.mark.parametrize("role", ROLES)
def test_funding_api_patch_per_role_and_field(role, role_users, small_library):
    funding = small_library["zhongyuan_funding"]
    c = api(role_users[role])
    for field, (value, allowed) in sorted(FUNDING_PATCHES.items()):
        with rolled_back():
            if field == "project":
                value = small_library["multi"].pk
            before = ProjectFunding.objects.filter(pk=funding.pk).values().get()
            logs = AuditLog.objects.count()
            r = c.patch(f"/api/fundings/{funding.pk}/", {field: value}, format="json")
            if role in allowed:
                assert r.status_code == 200, (field, r.content.decode())
                assert ProjectFunding.objects.filter(pk=funding.pk).values().get() != before, field
            else:
                assert r.status_code in (401, 403), (field, r.content.decode())
                assert ProjectFunding.objects.filter(pk=funding.pk).values().get() == before, field
                assert AuditLog.objects.count() == logs, field


@pytest.mark.parametrize("role", ROLES)
def test_batch_api_per_role(role, role_users, small_library, regions):
    c = api(role_users[role])
    r = c.post("/api/batches/", {"city": regions["郑州市"].pk, "doc_number": "安全测试〔2026〕3号", "batch_type": "add"},
               format="json")
    r2 = c.patch(f"/api/batches/{small_library['later_batch'].pk}/", {"note": "补充说明"}, format="json")
    if role == "city_admin":
        assert (r.status_code, r2.status_code) == (201, 200)
    else:
        assert r.status_code in (401, 403) and r2.status_code in (401, 403)
        small_library["later_batch"].refresh_from_db()
        assert small_library["later_batch"].note == ""


# --- the project form (pages) -----------------------------------------------------------------------

FORM_WRITABLE = {  # the edit form of an existing project: fields shown writable per role
    "city_admin": {"name", "districts", "region_group", "total_investment", "category", "status", "implementing_entity",
                   "start_year", "end_year", "batch", "seq", "description"},
    "district_editor": {"name", "districts", "total_investment", "category", "status", "implementing_entity",
                        "start_year", "end_year", "description"},
}
FORM_FIELDS = ["code", "name", "districts", "region_group", "total_investment", "category", "status",
               "implementing_entity", "start_year", "end_year", "batch", "seq", "description"]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_project_form_disables_fields_outside_the_rules(role, role_users, small_library):
    form = ProjectForm(instance=small_library["zhongyuan"], user=role_users[role])
    for field in FORM_FIELDS:
        writable = field in FORM_WRITABLE.get(role, set())
        assert form.fields[field].disabled is (not writable), field
        if not writable:
            assert "data-field-rule" in str(form[field]), field  # shown read-only, with the reason


def form_post(project, **changes):
    data = {
        "name": project.name, "districts": [str(d.pk) for d in project.districts.all()] if project.pk else [],
        "region_group": str(project.region_group_id or ""), "total_investment": str(project.total_investment),
        "category": project.category, "status": project.status, "implementing_entity": "", "start_year": "",
        "end_year": "", "batch": str(project.batch_id or ""), "seq": str(project.seq or ""), "description": "",
        "fundings-TOTAL_FORMS": "0", "fundings-INITIAL_FORMS": "0", "fundings-MIN_NUM_FORMS": "0",
        "fundings-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_edit_page_ignores_posted_workflow_fields_and_refuses_removal(client, role_users, small_library, regions):
    client.force_login(role_users["district_editor"])
    p = small_library["zhongyuan"]
    seq = p.seq
    group = RegionGroup.objects.get(name="各开发区")
    r = client.get(f"/projects/{p.code}/edit/")
    html = r.content.decode()
    assert r.status_code == 200 and "只能通过调整批次由市级管理员变更" in html
    r = client.post(f"/projects/{p.code}/edit/", form_post(
        p, name="芝麻街（页面修改）", batch=str(small_library["later_batch"].pk), region_group=str(group.pk), seq="99",
        code="K202201099"))
    assert r.status_code == 302, r.content.decode()[:2000]
    p.refresh_from_db()
    assert p.name == "芝麻街（页面修改）"
    assert (p.batch_id, p.region_group_id, p.seq, p.code) == (small_library["batch"].pk, regions["中原区"].group_id,
                                                             seq, "K202201005")
    logs = AuditLog.objects.count()
    r = client.post(f"/projects/{p.code}/edit/", form_post(p, status="removed"))
    assert r.status_code == 400
    p.refresh_from_db()
    assert p.status == "library" and AuditLog.objects.count() == logs
    r = client.post(f"/projects/{p.code}/edit/", form_post(p, status="implementing"))
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.status == "implementing"


def test_new_project_page_offers_only_planning_statuses_to_a_district_editor(client, role_users, small_library, regions):
    client.force_login(role_users["district_editor"])
    form = ProjectForm(user=role_users["district_editor"])
    assert [v for v, _ in form.fields["status"].choices] == ["planning", "reserve"]
    assert form.fields["batch"].disabled and form.fields["region_group"].disabled and not form.fields["code"].disabled
    r = client.post("/projects/new/", {**form_post(RenewalProject(name="x", total_investment=Decimal(1), category="old_block",
                                                                  status="library")),
                                        "code": "K202699001", "name": "页面新建", "districts": [str(regions["中原区"].pk)],
                                        "batch": str(small_library["later_batch"].pk), "seq": ""})
    assert r.status_code == 400 and not RenewalProject.objects.filter(code="K202699001").exists()


# --- check-up API ------------------------------------------------------------------------------------


@pytest.fixture
def run(sets, regions, role_users, units):
    from cityrenew.checkup import services as svc
    from cityrenew.checkup.catalogue import SET_2025

    return svc.create_run(regions["郑州市"], 2025, sets[SET_2025], role_users["city_admin"])


PROBLEM_WRITERS = {"city_admin", "surveyor"}  # district editors too, inside their district (unit check)


@pytest.mark.parametrize("role", ROLES)
def test_problem_api_per_role(role, role_users, run, units):
    from cityrenew.checkup.models import FieldProblem

    gas = run.indicator_set.indicators.get(number=2)
    c = api(role_users[role])
    base = {"run": run.pk, "indicator": gas.pk, "unit": units["T-B01"].pk, "description": "立管锈蚀",
            "severity": "serious", "lon": 113.62, "lat": 34.755, "suggestion": "更换立管", "sub_problem_code": ""}
    # fields set only by their workflow are refused for everyone, never ignored
    for extra in ({"status": "fixed"}, {"remediation_task": None}, {"project": None}, {"recorded_by": None}):
        r = c.post("/api/checkup/problems/", {**base, **extra}, format="json")
        assert r.status_code in (401, 403), (extra, r.content.decode())
    assert FieldProblem.objects.count() == 0
    r = c.post("/api/checkup/problems/", base, format="json")
    if role in PROBLEM_WRITERS or role == "district_editor":  # T-B01 lies in 中原区
        assert r.status_code == 201, r.content.decode()
        assert FieldProblem.objects.get().status == "open"
    else:
        assert r.status_code in (401, 403) and FieldProblem.objects.count() == 0


@pytest.mark.parametrize("role", ROLES)
def test_value_api_per_role(role, role_users, run):
    """The education department's 指标22 (中学服务半径覆盖率): its own clerk and the city admin only."""
    from cityrenew.checkup.models import IndicatorValue
    from cityrenew.core.models import RoleAssignment

    edu = run.tasks.get(department="education")
    RoleAssignment.objects.filter(role__in=["dept_editor", "dept_reviewer"]).update(organisation=edu.organisation)
    i22 = run.indicator_set.indicators.get(number=22)
    c = api(role_users[role])
    r = c.post("/api/checkup/values/", {"run": run.pk, "indicator": i22.pk, "value": "93.5", "source": "computed"},
               format="json")
    assert r.status_code in (401, 403)  # 来源 is recorded by the system
    r = c.post("/api/checkup/values/", {"run": run.pk, "indicator": i22.pk, "value": "93.5", "note": "教育局年报"},
               format="json")
    if role in ("city_admin", "dept_editor"):
        assert r.status_code == 201, r.content.decode()
        assert IndicatorValue.objects.get(run=run, indicator=i22).value == Decimal("93.5")
    else:
        assert r.status_code in (401, 403) and not IndicatorValue.objects.filter(run=run, indicator=i22).exists()


@pytest.mark.parametrize("role", ROLES)
def test_run_api_per_role(role, role_users, run, sets, regions):
    from cityrenew.checkup.catalogue import SET_2025
    from cityrenew.checkup.models import CheckupRun

    c = api(role_users[role])
    body = {"city": regions["郑州市"].pk, "year": 2026, "indicator_set": sets[SET_2025].pk}
    assert c.post("/api/checkup/runs/", {**body, "status": "completed"}, format="json").status_code in (401, 403)
    r = c.post("/api/checkup/runs/", body, format="json")
    if role == "city_admin":
        assert r.status_code == 201 and CheckupRun.objects.get(year=2026).status == "in_progress"
    else:
        assert r.status_code in (401, 403) and not CheckupRun.objects.filter(year=2026).exists()


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_problem_form_per_role(role, role_users, run):
    from cityrenew.checkup.forms import FieldProblemForm

    form = FieldProblemForm(run=run, user=role_users[role])
    writers = PROBLEM_WRITERS | {"district_editor"}
    for name in ("unit", "indicator", "sub_problem", "severity", "description", "lon", "lat", "suggestion"):
        assert form.fields[name].disabled is (role not in writers), name


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_local_indicator_form_per_role(role, role_users):
    from cityrenew.checkup.forms import LocalIndicatorForm

    form = LocalIndicatorForm(user=role_users[role])
    for name in ("name", "unit", "threshold", "comparator", "department", "source_document", "source_article"):
        assert form.fields[name].disabled is (role != "city_admin"), name


def test_remediation_status_by_city_or_responsible_department_only(role_users, run, units):
    from cityrenew.checkup import services as svc
    from cityrenew.core.models import RoleAssignment

    p = svc.record_problem(run, run.indicator_set.indicators.get(number=2), units["T-B01"], role_users["surveyor"])
    task = svc.problems_to_task([p], role_users["city_admin"])
    for role in ("district_editor", "viewer", "surveyor", "dept_editor"):
        with pytest.raises(svc.CheckupError, match="只有市级管理员或责任单位"):
            svc.set_remediation_status(task, "fixed", role_users[role])
    RoleAssignment.objects.filter(role="dept_editor").update(organisation=task.organisation)
    assert svc.set_remediation_status(task, "fixed", role_users["dept_editor"]).status == "fixed"


def test_check_fields_names_each_field_and_why(role_users, small_library):
    """The one function imports and other helpers call: a Chinese message naming the fields."""
    from django.core.exceptions import PermissionDenied

    from cityrenew.core.fieldrules import check_fields, writable_fields

    p, editor = small_library["zhongyuan"], role_users["district_editor"]
    with pytest.raises(PermissionDenied) as exc:
        check_fields(editor, p, {"batch": small_library["later_batch"].pk, "status": "removed", "region_group": None,
                                 "code": "K202201099", "name": "x"})
    message = str(exc.value)
    assert "「入库批次」「片区分组」只能通过调整批次由市级管理员变更" in message
    assert "「项目编号」新建后不能修改" in message
    assert "「项目状态」不能从“入库”改为“调出”" in message and "项目名称" not in message
    check_fields(editor, p, ["name", "total_investment", "row_version"])  # allowed: no exception
    with pytest.raises(PermissionDenied, match="「项目名称」您的角色（只读用户）不能修改"):
        check_fields(role_users["viewer"], p, ["name"])
    assert writable_fields(role_users["city_admin"], p) >= {"batch", "region_group", "seq", "status"}
    assert "code" not in writable_fields(role_users["city_admin"], p)
    assert writable_fields(None, p) == frozenset() and writable_fields(role_users["surveyor"], p) == frozenset()
