"""Check-up work moved onto background jobs: evaluation from the run page; a failing job writes nothing."""

from __future__ import annotations

from django.urls import reverse

from cityrenew.checkup import services as svc
from cityrenew.checkup.catalogue import SET_2025
from cityrenew.checkup.models import Evaluation
from cityrenew.core import audit
from cityrenew.core.models import AuditLog, Organisation
from cityrenew.jobs.choices import JobStatus
from cityrenew.jobs.models import Job
from cityrenew.jobs.registry import register
from cityrenew.jobs.runner import launch, run_pending


def test_evaluation_runs_as_a_job_for_city_admins_only(client, sets, regions, city_admin, viewer):
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)
    url = reverse("checkup:run_evaluate", args=[run.pk])
    client.force_login(viewer)
    assert client.post(url).status_code == 403 and not Job.objects.exists()

    client.force_login(city_admin)
    resp = client.post(url)
    job = Job.objects.get(kind="checkup.evaluate")
    assert resp.status_code == 302 and resp["Location"] == job.get_absolute_url()
    assert not Evaluation.objects.filter(run=run).exists()
    run_pending()
    job.refresh_from_db()
    n = Evaluation.objects.filter(run=run).count()
    assert job.status == JobStatus.SUCCEEDED and n == 60
    assert job.result_summary["text"] == f"已完成评价：{n} 项指标"
    html = client.get(job.get_absolute_url()).content.decode()
    assert "查看指标评价" in html and reverse("checkup:evaluation", args=[run.pk]) in html


@register("tests.half_written", title="写到一半失败的任务")
def half_written(job, *, name):
    Organisation.objects.create(name=name)  # audited write, inside the job's transaction
    job.progress(1, 2, "写了一半")
    raise RuntimeError("/srv/secret/path exploded")


def test_a_job_failing_halfway_writes_nothing_and_shows_no_server_path(client, regions, city_admin):
    audit_before = AuditLog.objects.count()
    with audit.actor(city_admin, "web"):
        job = launch("tests.half_written", owner=city_admin, name="半途而废单位")
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert not Organisation.objects.filter(name="半途而废单位").exists()
    assert AuditLog.objects.count() == audit_before
    assert job.error == f"任务运行出错（RuntimeError），数据库未做任何修改；请联系管理员并告知任务编号 #{job.pk}。"
    assert "/srv/secret/path" in job.traceback  # for administrators, never on the page
    client.force_login(city_admin)
    html = client.get(job.get_absolute_url()).content.decode()
    assert job.error in html and "/srv/secret" not in html
