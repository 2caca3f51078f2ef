"""Check-up pages through Django's test client, on a real database with real xlsx files.

A department user sees and fills only its own indicators (403 in Chinese on another department's
task, page and upload alike); an upload with errors writes nothing and lists the row messages; a
reviewer's return reason stays in the task history; the problem list exports a real xlsx; the
"生成项目（草稿）" action creates a project in the library that links back to the problems.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.contrib.gis.geos import GEOSGeometry
from openpyxl import Workbook, load_workbook

from cityrenew.checkup import services
from cityrenew.checkup.catalogue import SET_2024, SET_2025, load_indicator_sets
from cityrenew.checkup.choices import Department, ProblemStatus, ReviewAction, Severity, TaskStatus, UnitKind
from cityrenew.checkup.models import AssessmentUnit, CheckupRun, DepartmentTask, FieldProblem, IndicatorValue, TaskReview
from cityrenew.core import geo
from cityrenew.core.models import AuditLog, Region, RoleAssignment
from cityrenew.projects.choices import ProjectStatus
from cityrenew.projects.models import RenewalProject

pytestmark = pytest.mark.django_db

VALUE_COL = 10  # 数值 column of the department template (J)
FIRST_ROW = 4  # header on row 3


def _square(lon: float, lat: float, d: float = 0.002) -> GEOSGeometry:
    return geo.parse({"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]]})


@pytest.fixture
def run(regions, city_admin) -> CheckupRun:
    """郑州市 2025 check-up with a 街区 → 2 小区 → buildings in 中原区 and a 小区 in 二七区."""
    sets = load_indicator_sets()
    city = regions["郑州市"]
    street = Region.objects.get(code="410102-S01")
    street_eq = Region.objects.get(code="410103-S01")
    block = AssessmentUnit.objects.create(kind=UnitKind.BLOCK, name="绿东村街区", code="T-B1", city=city, region=street,
                                          geometry=_square(113.63, 34.75, 0.006), centroid_lon=113.63, centroid_lat=34.75)
    a = AssessmentUnit.objects.create(kind=UnitKind.COMPOUND, name="棉纺路小区", code="T-C1", city=city, region=street, parent=block,
                                      geometry=_square(113.628, 34.748), centroid_lon=113.628, centroid_lat=34.748)
    AssessmentUnit.objects.create(kind=UnitKind.COMPOUND, name="建设路小区", code="T-C2", city=city, region=street, parent=block,
                                  centroid_lon=113.633, centroid_lat=34.752)
    for n in (1, 2):
        AssessmentUnit.objects.create(kind=UnitKind.BUILDING, name=f"棉纺路小区{n}号楼", code=f"T-C1-{n}", city=city, region=street,
                                      parent=a, centroid_lon=113.628 + n * 0.0004, centroid_lat=34.748)
    AssessmentUnit.objects.create(kind=UnitKind.COMPOUND, name="建中街小区", code="T-C3", city=city, region=street_eq,
                                  centroid_lon=113.64, centroid_lat=34.73)
    return services.create_run(city, 2025, sets[SET_2025], city_admin)


def _task(run: CheckupRun, department: str) -> DepartmentTask:
    return run.tasks.get(department=department)


@pytest.fixture
def edu_user(run, make_user):
    """部门填报员 of 郑州市教育局."""
    user = make_user("edu", None, None, first_name="教育局填报员")
    RoleAssignment.objects.create(user=user, role="dept_editor", region=run.city,
                                  organisation=_task(run, Department.EDUCATION).organisation)
    return user


def _login(client, user) -> None:
    assert client.login(username=user.username, password="pass-" + user.username)


def _filled_template(client, task: DepartmentTask, values: dict[tuple[int, str], object]) -> bytes:
    """Download the task's template through the page and fill it with openpyxl: {(number, unit name): value}."""
    resp = client.get(reverse("checkup:task_template", args=[task.pk]))
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(resp.content))
    ws = wb["填报表"]
    seen = set()
    for r in range(FIRST_ROW, ws.max_row + 1):
        key = (ws.cell(r, 2).value, ws.cell(r, 8).value)
        if key in values:
            ws.cell(r, VALUE_COL).value = values[key]
            seen.add(key)
    assert seen == set(values), f"template rows missing: {set(values) - seen}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, task: DepartmentTask, data: bytes, name: str = "填报.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    f = SimpleUploadedFile(name, data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return client.post(reverse("checkup:task_upload", args=[task.pk]), {"file": f})


EDU_GOOD = {(13, "棉纺路小区"): 120, (13, "建设路小区"): 0, (13, "建中街小区"): 35, (22, "全市"): 86.5}


# --- a department user sees and fills only its own indicators -------------------------------------


def test_department_user_sees_only_its_own_task_and_indicators(client, run, edu_user):
    _login(client, edu_user)
    edu = _task(run, Department.EDUCATION)
    housing = _task(run, Department.HOUSING)

    page = client.get(reverse("checkup:run_detail", args=[run.pk])).content.decode()
    assert edu.organisation.name in page
    assert housing.organisation.name not in page
    assert "只显示本部门的填报任务" in page

    own = client.get(reverse("checkup:task_detail", args=[edu.pk]))
    assert own.status_code == 200
    html = own.content.decode()
    assert "中学服务半径覆盖率" in html and "小学学位缺口数" in html
    # value entry has exactly the education task's reported slots: 13 × 3 小区 + 22 (city)
    assert html.count('data-testid="slot-row"') == 4
    assert "存在结构安全隐患的住宅数量" not in html  # a 住建 indicator

    # the evaluation page lists only the department's indicators
    ev = client.get(reverse("checkup:evaluation", args=[run.pk])).content.decode()
    assert ev.count('data-testid="evaluation-row"') == edu.indicators.count() == 3


def test_department_user_gets_403_on_another_departments_task(client, run, edu_user):
    _login(client, edu_user)
    housing = _task(run, Department.HOUSING)
    for name in ("checkup:task_detail", "checkup:task_template"):
        resp = client.get(reverse(name, args=[housing.pk]))
        assert resp.status_code == 403, name
        assert "只能查看本部门的填报任务" in resp.content.decode()

    # an upload to another department's task is refused before the file is read; nothing is written
    wb = Workbook()
    buf = io.BytesIO()
    wb.save(buf)
    n_values = IndicatorValue.objects.count()
    resp = _upload(client, housing, buf.getvalue())
    assert resp.status_code == 403
    assert f"您不是“{housing.organisation.name}”的填报人员" in resp.content.decode()
    resp = client.post(reverse("checkup:task_values", args=[housing.pk]), {})
    assert resp.status_code == 403
    resp = client.post(reverse("checkup:task_submit", args=[housing.pk]))
    assert resp.status_code == 403
    assert IndicatorValue.objects.count() == n_values
    assert DepartmentTask.objects.get(pk=housing.pk).status == TaskStatus.PENDING


def test_department_user_cannot_upload_its_template_into_another_task(client, run, edu_user, city_admin):
    """The education template, uploaded by a city admin into the housing task, is rejected with a message."""
    _login(client, edu_user)
    data = _filled_template(client, _task(run, Department.EDUCATION), EDU_GOOD)
    client.logout()
    _login(client, city_admin)
    housing = _task(run, Department.HOUSING)
    resp = _upload(client, housing, data)
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'data-testid="upload-errors"' in html
    assert IndicatorValue.objects.filter(run=run).count() == 0


# --- uploads --------------------------------------------------------------------------------------


def test_upload_with_errors_writes_nothing_and_lists_row_messages(client, run, edu_user):
    _login(client, edu_user)
    edu = _task(run, Department.EDUCATION)
    bad = dict(EDU_GOOD)
    bad[(22, "全市")] = 140  # a percentage of 140
    bad[(13, "建设路小区")] = "十二"  # not a number
    data = _filled_template(client, edu, bad)
    n_logs = AuditLog.objects.count()

    resp = _upload(client, edu, data)
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "未保存任何数据" in html
    assert "140" in html and "百分比" in html
    assert "十二" in html and "不是数字" in html
    assert html.count("第") >= 2 and "行" in html  # row numbers are named
    assert IndicatorValue.objects.filter(run=run).count() == 0
    assert AuditLog.objects.count() == n_logs

    # the same file corrected goes in completely
    resp = _upload(client, edu, _filled_template(client, edu, EDU_GOOD))
    assert resp.status_code == 302
    values = {(v.indicator.number, v.unit.name if v.unit else "全市"): v.value for v in IndicatorValue.objects.filter(run=run)}
    assert values == {k: Decimal(str(v)) for k, v in EDU_GOOD.items()}
    page = client.get(reverse("checkup:task_detail", args=[edu.pk])).content.decode()
    assert "上传成功" in page


def test_value_entry_on_the_page_checks_range_and_saves_only_own_indicators(client, run, edu_user):
    _login(client, edu_user)
    edu = _task(run, Department.EDUCATION)
    ind22 = edu.indicators.get(number=22)
    resp = client.post(reverse("checkup:task_values", args=[edu.pk]), {f"v_{ind22.pk}": "140"})
    assert resp.status_code == 400
    assert "百分比" in resp.content.decode()
    assert not IndicatorValue.objects.filter(run=run).exists()

    # a field for a 住建 indicator smuggled into the form is ignored: only the task's own slots exist
    housing_ind = _task(run, Department.HOUSING).indicators.filter(computation="reported", report_level="").first()
    resp = client.post(reverse("checkup:task_values", args=[edu.pk]), {f"v_{ind22.pk}": "91.2", f"v_{housing_ind.pk}": "5"})
    assert resp.status_code == 302
    assert list(IndicatorValue.objects.filter(run=run).values_list("indicator__number", "value")) == [(22, Decimal("91.2"))]


# --- review ---------------------------------------------------------------------------------------


def test_reviewer_return_keeps_reason_in_task_history(client, run, edu_user, city_admin):
    edu = _task(run, Department.EDUCATION)
    _login(client, edu_user)
    assert _upload(client, edu, _filled_template(client, edu, EDU_GOOD)).status_code == 302
    assert client.post(reverse("checkup:task_submit", args=[edu.pk])).status_code == 302
    # the department user may not review its own task
    assert client.post(reverse("checkup:task_accept", args=[edu.pk])).status_code == 403
    client.logout()

    _login(client, city_admin)
    empty = client.post(reverse("checkup:task_return", args=[edu.pk]), {"reason": "  "})
    assert empty.status_code == 400 and "请填写退回原因" in empty.content.decode()
    reason = "小学学位缺口数与教育事业统计年报不一致，请核对建中街小区"
    assert client.post(reverse("checkup:task_return", args=[edu.pk]), {"reason": reason}).status_code == 302
    client.logout()

    _login(client, edu_user)
    page = client.get(reverse("checkup:task_detail", args=[edu.pk])).content.decode()
    assert "已退回" in page and reason in page
    assert client.post(reverse("checkup:task_submit", args=[edu.pk])).status_code == 302
    client.logout()

    _login(client, city_admin)
    assert client.post(reverse("checkup:task_accept", args=[edu.pk])).status_code == 302
    edu.refresh_from_db()
    assert edu.status == TaskStatus.ACCEPTED
    history = list(TaskReview.objects.filter(task=edu).order_by("at", "id").values_list("action", "reason"))
    assert history == [(ReviewAction.SUBMIT, ""), (ReviewAction.RETURN, reason), (ReviewAction.SUBMIT, ""), (ReviewAction.ACCEPT, "")]
    page = client.get(reverse("checkup:task_detail", args=[edu.pk])).content.decode()
    history_html = page.split('data-testid="review-history"')[1].split("</table>")[0]
    assert reason in history_html and history_html.count("<tr class=") == 4


# --- problems -------------------------------------------------------------------------------------


@pytest.fixture
def problems(run, city_admin) -> list[FieldProblem]:
    s = run.indicator_set
    b1 = AssessmentUnit.objects.get(code="T-C1-1")
    b2 = AssessmentUnit.objects.get(code="T-C1-2")
    c3 = AssessmentUnit.objects.get(code="T-C3")
    ind1, ind2, ind17 = (s.indicators.get(number=n) for n in (1, 2, 17))
    return [
        services.record_problem(run, ind1, b1, city_admin, sub_problem="2.1.1", description="二层楼板裂缝宽约2mm"),
        services.record_problem(run, ind2, b1, city_admin, sub_problem="2.2.1", severity=Severity.SEVERE, description="立管锈蚀"),
        services.record_problem(run, ind2, b2, city_admin, severity=Severity.GENERAL, description="软管老化", lon=113.6291, lat=34.7481),
        services.record_problem(run, ind17, c3, city_admin, description="健身器材破损"),
    ]


def test_problem_list_filters_and_exports_a_real_xlsx(client, run, problems, viewer):
    _login(client, viewer)
    url = reverse("checkup:problem_list", args=[run.pk])
    html = client.get(url).content.decode()
    assert html.count('data-testid="problem-row"') == 4
    assert "to-project" not in html  # a viewer gets no actions
    ind2 = run.indicator_set.indicators.get(number=2)
    html = client.get(url, {"indicator": ind2.pk}).content.decode()
    assert html.count('data-testid="problem-row"') == 2
    html = client.get(url, {"severity": Severity.SEVERE}).content.decode()
    assert html.count('data-testid="problem-row"') == 2  # 2.1.1 is 严重 by default, and the riser
    html = client.get(url, {"region": Region.objects.get(code="410103").pk}).content.decode()
    assert html.count('data-testid="problem-row"') == 1 and "建中街小区" in html
    html = client.get(url, {"area": AssessmentUnit.objects.get(code="T-C1").pk}).content.decode()
    assert html.count('data-testid="problem-row"') == 3  # the 小区 and its buildings

    resp = client.get(reverse("checkup:issue_list_export", args=[run.pk]))
    assert resp.status_code == 200
    assert "attachment" in resp["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.content)).active
    assert ws.title == "问题清单"
    assert ws["A1"].value == "郑州市2025年城市体检问题清单"
    header = [c.value for c in ws[3]]
    assert header[:4] == ["序号", "体检维度", "指标", "问题类型"]
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=4) if row[0].value is not None]
    assert len(body) == 4
    assert sorted(r[header.index("严重程度")] for r in body) == ["一般", "一般", "严重", "严重"]
    assert any(r[header.index("楼栋")] == "棉纺路小区1号楼" and r[header.index("问题类型")].startswith("2.1.1") for r in body)

    # with the list's filters the export holds only the filtered problems
    resp = client.get(reverse("checkup:issue_list_export", args=[run.pk]), {"indicator": ind2.pk})
    ws = load_workbook(io.BytesIO(resp.content)).active
    assert len([r for r in ws.iter_rows(min_row=4) if r[0].value is not None]) == 2

    # the official lists render the same rows
    page = client.get(reverse("checkup:issue_list", args=[run.pk])).content.decode()
    assert page.count('data-testid="list-row"') == 4
    resp = client.get(reverse("checkup:remediation_list_export", args=[run.pk]))
    ws = load_workbook(io.BytesIO(resp.content)).active
    assert ws.title == "整治建议清单" and ws.cell(3, 9).value == "整治建议"


def test_problems_to_project_creates_the_linked_draft_project(client, run, problems, city_admin, viewer):
    chosen = problems[1:3]  # the two gas problems
    _login(client, viewer)
    resp = client.post(reverse("checkup:problem_action", args=[run.pk]), {"action": "project", "problem": [p.pk for p in chosen]})
    assert resp.status_code == 403
    assert not RenewalProject.objects.exists()
    client.logout()

    _login(client, city_admin)
    resp = client.post(reverse("checkup:problem_action", args=[run.pk]),
                       {"action": "project", "problem": [p.pk for p in chosen], "title": ""})
    assert resp.status_code == 302
    project = RenewalProject.objects.get()
    assert resp["Location"] == reverse("projects:project_detail", args=[project.code])
    assert project.code == "K202599001"  # batch 99 is reserved for drafts made from check-up problems
    assert project.status == ProjectStatus.PLANNING
    assert [d.display_name for d in project.districts.all()] == ["中原区"]
    assert set(project.checkup_problems.values_list("pk", flat=True)) == {p.pk for p in chosen}
    assert FieldProblem.objects.get(pk=chosen[0].pk).status == ProblemStatus.IN_PROGRESS
    # the project page is in the library; the problem page links to it
    project_page = client.get(resp["Location"]).content.decode()
    for p in chosen:  # the project page links back to its problems
        assert reverse("checkup:problem_detail", args=[p.pk]) in project_page.split('data-testid="checkup-problems"')[1]
    detail = client.get(reverse("checkup:problem_detail", args=[chosen[0].pk])).content.decode()
    assert reverse("projects:project_detail", args=[project.code]) in detail
    listing = client.get(reverse("checkup:problem_list", args=[run.pk])).content.decode()
    assert listing.count('data-testid="project-link"') == 2

    # the same problems cannot make a second project
    resp = client.post(reverse("checkup:problem_action", args=[run.pk]), {"action": "project", "problem": [chosen[0].pk]}, follow=True)
    assert "已关联项目" in resp.content.decode()
    assert RenewalProject.objects.count() == 1

    # the other action: a remediation task with a responsible unit
    resp = client.post(reverse("checkup:problem_action", args=[run.pk]), {"action": "task", "problem": [problems[0].pk]}, follow=True)
    assert "已把 1 个问题转为整治任务" in resp.content.decode()
    assert FieldProblem.objects.get(pk=problems[0].pk).remediation_task.organisation.name == "郑州市住房和城乡建设局"


def test_surveyor_records_a_problem_with_photo_and_bad_input_is_named(client, run, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    surveyor = make_user("surv", "surveyor", "410100")
    _login(client, surveyor)
    ind1 = run.indicator_set.indicators.get(number=1)
    ind2 = run.indicator_set.indicators.get(number=2)
    b1 = AssessmentUnit.objects.get(code="T-C1-1")
    url = reverse("checkup:problem_create", args=[run.pk])
    assert client.get(url).status_code == 200
    wrong_sub = ind2.sub_problems.first()
    resp = client.post(url, {"unit": b1.pk, "indicator": ind1.pk, "sub_problem": wrong_sub.pk, "severity": "severe",
                             "description": "x", "lon": "200", "lat": "34.7"})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "不属于指标1" in html and "经度 200" in html
    assert not FieldProblem.objects.exists()

    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")
    resp = client.post(url, {"unit": b1.pk, "indicator": ind1.pk, "sub_problem": ind1.sub_problems.get(code="2.1.1").pk,
                             "severity": "severe", "description": "阳台板底露筋", "lon": "113.6284", "lat": "34.7480",
                             "photos": [SimpleUploadedFile("crack.png", png, content_type="image/png")]})
    assert resp.status_code == 302
    p = FieldProblem.objects.get()
    assert (p.recorded_by, p.severity, p.lon, p.photos.count()) == (surveyor, "severe", 113.6284, 1)
    detail = client.get(resp["Location"]).content.decode()
    assert "阳台板底露筋" in detail and "<img" in detail and "变更记录" in detail


# --- sets, dashboard, card --------------------------------------------------------------------------


def test_indicator_set_pages_and_copy_by_city_admin_only(client, run, city_admin, viewer):
    s25 = run.indicator_set
    s24 = run.indicator_set.__class__.objects.get(code=SET_2024)
    _login(client, viewer)
    html = client.get(reverse("checkup:set_detail", args=[s25.pk])).content.decode()
    assert html.count('data-testid="indicator-row"') == 60
    assert '<span data-testid="indicator-count">60</span>' in html
    assert "依据：《城市体检工作手册（试行）》" in html
    diff = client.get(reverse("checkup:set_diff"), {"old": s24.pk, "new": s25.pk}).content.decode()
    assert "MOHURD-2024（61 项）→ MOHURD-2025（60 项）" in diff
    assert "问题整治完成率" in diff.split('data-testid="diff-added"')[1].split("</table>")[0]
    city = run.city
    resp = client.post(reverse("checkup:set_copy", args=[s25.pk]), {"city": city.pk, "code": "ZZ-2025", "name": "郑州市城市体检指标体系"})
    assert resp.status_code == 403
    client.logout()
    _login(client, city_admin)
    resp = client.post(reverse("checkup:set_copy", args=[s25.pk]), {"city": city.pk, "code": "ZZ-2025", "name": "郑州市城市体检指标体系"})
    assert resp.status_code == 302
    copy = s25.__class__.objects.get(code="ZZ-2025")
    assert copy.indicators.count() == 60 and copy.city == city and copy.copied_from == s25


def test_dashboard_cards_charts_map_and_home_card(client, run, problems, city_admin):
    _login(client, city_admin)
    services.evaluate_run(run)
    resp = client.get(reverse("checkup:dashboard"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'data-testid="card-indicators">60 项' in html
    assert 'id="checkup-charts"' in html
    charts = resp.context["charts"]
    assert sum(sum(s["data"]) for s in charts["verdicts"]["series"]) == 60
    assert sum(sum(s["data"]) for s in charts["problems"]["series"]) == 4
    assert len(charts["completeness"]) == run.tasks.count()
    gj = client.get(reverse("checkup:map_geojson", args=[run.pk])).json()
    assert len(gj["problems"]["features"]) == 4
    assert {f["properties"]["severity"] for f in gj["problems"]["features"]} == {"general", "severe"}
    assert len(gj["units"]["features"]) == 6
    home = client.get("/").content.decode()
    assert "2025 年度 · 60 项指标" in home


def test_run_creation_is_for_city_admins_and_generates_department_tasks(client, regions, city_admin, zhongyuan_editor):
    load_indicator_sets()
    _login(client, zhongyuan_editor)
    assert client.get(reverse("checkup:run_create")).status_code == 403
    client.logout()
    _login(client, city_admin)
    s25 = load_indicator_sets()[SET_2025]
    form = {"city": regions["郑州市"].pk, "year": 2026, "indicator_set": s25.pk}
    resp = client.post(reverse("checkup:run_create"), form)
    assert resp.status_code == 302
    run = CheckupRun.objects.get(year=2026)
    assert resp["Location"] == reverse("checkup:run_detail", args=[run.pk])
    assert run.tasks.count() == 18  # one per responsible department of the 2025 set
    assert sum(t.indicators.count() for t in run.tasks.all()) == 60
    again = client.post(reverse("checkup:run_create"), form)
    assert again.status_code == 400 and "郑州市2026年城市体检已存在" in again.content.decode()
    assert CheckupRun.objects.count() == 1


def test_evidence_upload_by_the_department_is_listed_on_its_task(client, run, edu_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _login(client, edu_user)
    edu = _task(run, Department.EDUCATION)
    ind22 = edu.indicators.get(number=22)
    f = SimpleUploadedFile("中学覆盖分析.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    resp = client.post(reverse("checkup:task_evidence", args=[edu.pk]), {"file": f, "indicator": ind22.pk, "description": ""})
    assert resp.status_code == 302
    ev = edu.evidence.get()
    assert ev.uploaded_by == edu_user and ev.description == "指标22 中学服务半径覆盖率"
    page = client.get(reverse("checkup:task_detail", args=[edu.pk])).content.decode()
    assert "指标22 中学服务半径覆盖率" in page.split('data-testid="evidence-table"')[1]
    # another department's task takes no evidence from this user
    housing = _task(run, Department.HOUSING)
    f = SimpleUploadedFile("x.pdf", b"%PDF", content_type="application/pdf")
    assert client.post(reverse("checkup:task_evidence", args=[housing.pk]), {"file": f}).status_code == 403
    assert not housing.evidence.exists()


def test_problem_form_converts_gcj02_coordinates_with_the_engine(client, run, city_admin):
    from cityrenew.engine.crs import gcj02_to_wgs84

    _login(client, city_admin)
    ind17 = run.indicator_set.indicators.get(number=17)
    unit = AssessmentUnit.objects.get(code="T-C1")
    resp = client.post(reverse("checkup:problem_create", args=[run.pk]), {
        "unit": unit.pk, "indicator": ind17.pk, "severity": "general", "description": "高德地图取点",
        "lon": "113.634470", "lat": "34.746920", "gcj02": "on",
    })
    assert resp.status_code == 302
    p = FieldProblem.objects.get()
    x, y = gcj02_to_wgs84([113.634470], [34.746920])
    assert (p.lon, p.lat) == (round(float(x[0]), 7), round(float(y[0]), 7))
    assert 0.003 < 113.634470 - p.lon < 0.008  # GCJ-02 is offset by a few hundred metres here


def test_city_set_takes_local_indicators_with_a_source_and_retires_others(client, run, city_admin, viewer):
    from cityrenew.checkup.catalogue import copy_set
    from cityrenew.checkup.models import Indicator

    national = run.indicator_set
    city_set = copy_set(national, run.city, "ZZ-2025", "郑州市城市体检指标体系（2025年）")
    form = {"dimension": "city", "group": "城市特色", "name": "口袋公园数量", "unit": "个", "direction": "higher_better",
            "method": "reported", "standard": "", "threshold": "", "comparator": "", "department": "garden",
            "evidence": "", "definition": "", "source_document": "CPC-2025-HQ-URBAN", "source_article": ""}
    _login(client, viewer)
    assert client.post(reverse("checkup:set_detail", args=[city_set.pk]), form).status_code == 403
    client.logout()
    _login(client, city_admin)
    # the national set is not edited directly
    assert client.post(reverse("checkup:set_detail", args=[national.pk]), dict(form, source_article="二")).status_code == 403
    # no article → the form names the field; a threshold without comparator too
    resp = client.post(reverse("checkup:set_detail", args=[city_set.pk]), dict(form, threshold="50"))
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "须选择比较方式" in html and "请填写依据条款" in html
    assert city_set.indicators.count() == 60

    resp = client.post(reverse("checkup:set_detail", args=[city_set.pk]),
                       dict(form, source_article="（三）", threshold="50", comparator=">="))
    assert resp.status_code == 302
    local = city_set.indicators.get(number=61)
    assert (local.code, local.is_local, local.threshold, local.source_document) == ("L61", True, Decimal("50"), "CPC-2025-HQ-URBAN")
    page = client.get(reverse("checkup:set_detail", args=[city_set.pk])).content.decode()
    assert "口袋公园数量" in page and "依据：《关于推动城市高质量发展的意见》（三）" in page

    retire = city_set.indicators.get(number=27)
    assert client.post(reverse("checkup:indicator_retire", args=[retire.pk])).status_code == 302
    assert Indicator.objects.get(pk=retire.pk).retired
    assert client.post(reverse("checkup:indicator_retire", args=[national.indicators.get(number=27).pk])).status_code == 403
    page = client.get(reverse("checkup:set_detail", args=[city_set.pk])).content.decode()
    assert '<span data-testid="indicator-count">60</span>' in page and "另有已停用 1 项" in page
