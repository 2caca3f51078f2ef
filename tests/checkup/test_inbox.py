"""我的待办 per role, task deadlines and the navigation that fits the role.

A 部门填报员 sees its own open tasks under 待填报 (sorted by deadline, overdue in red) and lands on the
inbox after login; a 部门审核员 of the organisation, a reviewer of the city authority and the 市级管理员
see submitted tasks under 待审核 (a reviewer of another department does not); a returned task shows
under 已退回 with its reason. The navigation shows each role only what it can use.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cityrenew.checkup import services
from cityrenew.checkup.catalogue import SET_2025, load_indicator_sets
from cityrenew.checkup.choices import Department, RunStatus
from cityrenew.core import inbox
from cityrenew.core.choices import InboxGroup, OrganisationKind
from cityrenew.core.models import AuditLog, Organisation, RoleAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(regions, city_admin):
    sets = load_indicator_sets()
    return services.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin, deadline=dt.date(2025, 6, 30))


def _task(run, dept):
    return run.tasks.get(department=dept)


@pytest.fixture
def people(run, make_user):
    edu, water = _task(run, Department.EDUCATION), _task(run, Department.WATER)
    authority = Organisation.objects.create(name="郑州市城市更新局", kind=OrganisationKind.AUTHORITY, region=run.city)

    def role(username, role, org):
        user = make_user(username, None, None, first_name=username)
        RoleAssignment.objects.create(user=user, role=role, region=run.city, organisation=org)
        return user

    return {
        "filler": role("edu", "dept_editor", edu.organisation),
        "water_filler": role("water", "dept_editor", water.organisation),
        "edu_reviewer": role("edurev", "dept_reviewer", edu.organisation),
        "water_reviewer": role("waterrev", "dept_reviewer", water.organisation),
        "authority_reviewer": role("cityrev", "dept_reviewer", authority),
    }


def _fill(task, user):
    for ind, unit in services.expected_rows(task):
        services.set_value(task, ind, unit, 80 if ind.unit == "%" else 3, user)


def _titles(user, group):
    return [i.title for i in inbox.items_for(user)[group]]


def test_run_deadline_goes_to_every_task_and_can_be_changed_per_task(client, run, city_admin, people):
    assert set(run.tasks.values_list("deadline", flat=True)) == {dt.date(2025, 6, 30)}
    edu = _task(run, Department.EDUCATION)
    client.force_login(people["filler"])  # a department user may not move its deadline
    assert client.post(reverse("checkup:task_deadline", args=[edu.pk]), {"deadline": "2026-01-31"}).status_code == 403
    client.force_login(city_admin)
    resp = client.post(reverse("checkup:task_deadline", args=[edu.pk]), {"deadline": "2025-07-15"})
    assert resp.status_code == 302
    edu.refresh_from_db()
    assert edu.deadline == dt.date(2025, 7, 15)
    changes = [e.changes["deadline"] for e in AuditLog.objects.filter(content_type__model="departmenttask", object_id=str(edu.pk))
               if "deadline" in e.changes]
    assert ["2025-06-30", "2025-07-15"] in changes  # audited: who changed the deadline, old → new
    html = client.get(reverse("checkup:run_detail", args=[run.pk])).content.decode()
    assert '<td class="overdue">2025-07-15</td>' in html  # past and still open: red in the task table
    from cityrenew.checkup.choices import TaskStatus

    edu.status = TaskStatus.ACCEPTED  # accepted work is never overdue
    edu.save()
    assert '<td class="">2025-07-15</td>' in client.get(reverse("checkup:run_detail", args=[run.pk])).content.decode()
    bad = client.post(reverse("checkup:task_deadline", args=[edu.pk]), {"deadline": "2025-13-45"})
    assert bad.status_code == 400 and "请填写有效日期" in bad.content.decode()


def test_run_form_sets_the_deadline(client, regions, city_admin):
    sets = load_indicator_sets()
    client.force_login(city_admin)
    resp = client.post(reverse("checkup:run_create"), {"city": regions["郑州市"].pk, "year": 2026,
                                                       "indicator_set": sets[SET_2025].pk, "deadline": "2026-05-31"})
    assert resp.status_code == 302
    from cityrenew.checkup.models import CheckupRun

    run = CheckupRun.objects.get(year=2026)
    assert run.tasks.count() > 10
    assert set(run.tasks.values_list("deadline", flat=True)) == {dt.date(2026, 5, 31)}


def test_filler_sees_own_open_tasks_sorted_by_deadline_and_overdue_in_red(client, run, people, city_admin, regions):
    filler = people["filler"]
    edu = _task(run, Department.EDUCATION)
    assert _titles(filler, InboxGroup.TO_FILL) == [f"{edu.organisation.name} · 郑州市2025年城市体检"]
    assert _titles(filler, InboxGroup.TO_REVIEW) == [] and _titles(filler, InboxGroup.RETURNED) == []
    # a second run of the same department with a later and one with no deadline: sorted, None last
    sets = load_indicator_sets()
    later = services.create_run(regions["郑州市"], 2026, sets[SET_2025], city_admin, deadline=dt.date(2099, 1, 1))
    none = services.create_run(regions["郑州市"], 2027, sets[SET_2025], city_admin)
    assert [i.deadline for i in inbox.items_for(filler)[InboxGroup.TO_FILL]] == [dt.date(2025, 6, 30), dt.date(2099, 1, 1), None]
    # a completed run's tasks no longer wait
    none.status = RunStatus.COMPLETED
    none.save()
    assert len(inbox.items_for(filler)[InboxGroup.TO_FILL]) == 2

    client.force_login(filler)
    resp = client.get(reverse("core:inbox"))
    html = resp.content.decode()
    assert resp.status_code == 200
    fill = html.split('data-testid="inbox-to_fill"')[1].split("</section>")[0]
    assert fill.index("2025-06-30") < fill.index("2099-01-01")
    days = (timezone.localdate() - dt.date(2025, 6, 30)).days
    assert f'<span class="overdue">2025-06-30（已逾期 {days} 天）' in fill
    assert '<span class="">2099-01-01（还剩' in fill
    assert reverse("checkup:task_detail", args=[edu.pk]) in fill
    # the badge counts the items
    assert re.search(r'data-testid="inbox-count">2<', html)
    # the task page marks the overdue deadline too
    page = client.get(reverse("checkup:task_detail", args=[edu.pk])).content.decode()
    assert '<span class="overdue">2025-06-30（已逾期）' in page
    later_edu = later.tasks.get(department=Department.EDUCATION)
    assert '<span class="">2099-01-01</span>' in client.get(reverse("checkup:task_detail", args=[later_edu.pk])).content.decode()


def test_submitted_task_waits_for_its_reviewers_only_and_returned_shows_the_reason(client, run, people, city_admin):
    edu = _task(run, Department.EDUCATION)
    filler = people["filler"]
    _fill(edu, filler)
    services.submit_task(edu, filler)
    title = f"{edu.organisation.name} · 郑州市2025年城市体检"
    assert _titles(filler, InboxGroup.TO_FILL) == []
    assert _titles(filler, InboxGroup.SUBMITTED) == [title]  # shown to the clerk, not counted
    assert inbox.count_for(filler) == 0
    for who in ("edu_reviewer", "authority_reviewer"):
        assert _titles(people[who], InboxGroup.TO_REVIEW) == [title], who
    assert _titles(city_admin, InboxGroup.TO_REVIEW) == [title]
    assert _titles(people["water_reviewer"], InboxGroup.TO_REVIEW) == []
    assert _titles(people["water_filler"], InboxGroup.TO_REVIEW) == []
    # the city admin does not get every department's 待填报
    assert _titles(city_admin, InboxGroup.TO_FILL) == []

    client.force_login(filler)
    html = client.get(reverse("core:inbox")).content.decode()
    assert title in html.split('data-testid="inbox-submitted"')[1].split("</section>")[0]
    assert 'data-testid="inbox-count"' not in html and 'data-testid="inbox-total">共 0 项' in html
    client.force_login(people["edu_reviewer"])
    html = client.get(reverse("core:inbox")).content.decode()
    assert 'data-testid="inbox-submitted"' not in html  # an empty information group is not shown
    assert title in html.split('data-testid="inbox-to_review"')[1].split("</section>")[0]
    reason = "指标22的数值与教育统计年鉴不一致，请核对后重新填报"
    assert client.post(reverse("checkup:task_return", args=[edu.pk]), {"reason": reason}).status_code == 302
    assert _titles(people["edu_reviewer"], InboxGroup.TO_REVIEW) == []
    assert _titles(filler, InboxGroup.SUBMITTED) == []
    returned = inbox.items_for(filler)[InboxGroup.RETURNED]
    assert [(i.title, i.reason) for i in returned] == [(title, reason)]
    client.force_login(filler)
    html = client.get(reverse("core:inbox")).content.decode()
    section = html.split('data-testid="inbox-returned"')[1].split("</section>")[0]
    assert f"退回原因：{reason}" in section


def _nav(html: str) -> list[str]:
    nav = html.split('<nav class="mainnav">')[1].split("</nav>")[0]
    return [re.sub(r"<[^>]+>\d*", "", a).strip() for a in re.findall(r"<a [^>]*>(.*?)</a>", nav, re.S)]


def test_navigation_fits_the_role(client, run, people, city_admin, zhongyuan_editor, viewer):
    client.force_login(people["filler"])
    resp = client.get("/")
    assert resp.status_code == 302 and resp["Location"] == reverse("core:inbox")  # home → inbox
    nav = _nav(client.get(reverse("core:inbox")).content.decode())
    assert nav == ["我的待办", "联合审查", "城市生命线", "城市体检", "政策库"]

    client.force_login(zhongyuan_editor)
    resp = client.get("/")
    assert resp.status_code == 200
    nav = _nav(resp.content.decode())
    assert nav == ["工作台", "我的待办", "项目库", "汇总表", "实施方案", "联合审查", "公示管理", "资金", "台账", "城市生命线", "城市体检", "一张图",
                   "中原区", "政策库", "后台任务", "审计日志", "API"]

    client.force_login(city_admin)
    nav = _nav(client.get("/").content.decode())
    assert nav == ["工作台", "我的待办", "项目库", "汇总表", "实施方案", "联合审查", "公示管理", "资金", "报送与统计", "台账", "城市生命线", "城市体检",
                   "一张图", "政策库", "行政区划", "后台任务", "审计日志", "API"]

    client.force_login(viewer)
    nav = _nav(client.get("/").content.decode())
    assert "项目库" in nav and "我的待办" in nav and "中原区" not in nav
