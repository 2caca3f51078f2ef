"""Background jobs from the pages: launching, progress page, result download, permissions, API,
cancelling and recovery. Queued tasks are run with django-tasks-db's own worker code in this
process (:func:`cityrenew.jobs.runner.run_pending`); ``test_worker.py`` runs ``cityrenew worker``."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cityrenew.core.models import AuditLog
from cityrenew.jobs.choices import JobStatus
from cityrenew.jobs.models import Job
from cityrenew.jobs.runner import DIED_MESSAGE, launch, recover, run_pending
from cityrenew.projects.models import RenewalProject

HEADER = "序号,项目编号,项目名称,项目总投资（亿元）,区域\n"


def csv_file(n: int, name: str = "projects.csv", bad_row: int | None = None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    lines = [HEADER.strip()]
    for i in range(1, n + 1):
        amount = "-1" if i == bad_row else f"{i}.5"
        lines.append(f"{i},K2026010{i:02d},测试项目{i},{amount},中原区")
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode())


def job_of(resp) -> Job:
    assert resp.status_code == 302, resp.content[:500]
    assert resp["Location"].startswith("/jobs/"), resp["Location"]
    return Job.objects.get(pk=int(resp["Location"].strip("/").split("/")[-1]))


# --- import -------------------------------------------------------------------------------------


def test_import_at_the_threshold_runs_in_the_request_and_above_it_as_a_job(client, city_admin, settings):
    settings.CITYRENEW_IMPORT_JOB_ROWS = 5
    client.force_login(city_admin)
    resp = client.post("/projects/import/", {"file": csv_file(5), "batch_type": "add"})
    assert resp.status_code == 200 and "试运行通过" in resp.content.decode()
    assert not Job.objects.exists()

    resp = client.post("/projects/import/", {"file": csv_file(6), "batch_type": "add", "batch_no": "测试〔2026〕1号"})
    job = job_of(resp)
    assert (job.kind, job.status, job.owner) == ("projects.import", JobStatus.QUEUED, city_admin)
    assert job.params["dry_run"] is True
    page = client.get(resp["Location"]).content.decode()
    assert f"已提交后台任务" in page and 'data-status="queued"' in page and "等待后台工作进程" in page

    assert run_pending() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result_summary["text"].startswith("试导入（未写入）：共 6 行，新增 6 个")
    assert not RenewalProject.objects.exists()  # a dry run writes nothing

    # the job page offers the confirmation; it launches the real import as a second job
    html = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="job-action"' in html and "确认导入 projects.csv" in html
    action = job.result_summary["actions"][0]
    second = job_of(client.post(action["url"], action["fields"]))
    assert second.params["dry_run"] is False and second.params["batch_no"] == "测试〔2026〕1号"
    run_pending()
    second.refresh_from_db()
    assert second.status == JobStatus.SUCCEEDED, second.error
    assert RenewalProject.objects.count() == 6
    assert AuditLog.objects.filter(user=city_admin, content_type__model="renewalproject", action="create").count() == 6
    assert "查看项目库" in client.get(second.get_absolute_url()).content.decode()


def test_import_job_with_a_bad_row_fails_in_chinese_and_writes_nothing(client, city_admin, settings):
    settings.CITYRENEW_IMPORT_JOB_ROWS = 2
    client.force_login(city_admin)
    job = job_of(client.post("/projects/import/", {"file": csv_file(4, bad_row=3), "batch_type": "add"}))
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("导入失败：共 4 行，发现 1 处错误，数据库未做任何修改。")
    assert job.result_summary["errors"] == ["第 4 行「项目总投资（亿元）」：不能为负数，实际为“-1”"]
    html = client.get(job.get_absolute_url()).content.decode()
    assert "不能为负数" in html and 'data-testid="job-action"' not in html
    assert not RenewalProject.objects.exists()


# --- exports, download and who sees a job ---------------------------------------------------------


@pytest.fixture
def six_projects(client, city_admin, settings):
    settings.CITYRENEW_IMPORT_JOB_ROWS = 100
    client.force_login(city_admin)
    resp = client.post("/projects/import/", {"file": csv_file(6), "batch_type": "add"})
    token = resp.context["token"]
    client.post("/projects/import/", {"confirm": "1", "token": token, "filename": "projects.csv", "batch_type": "add"})
    assert RenewalProject.objects.count() == 6
    client.logout()


def test_large_exports_run_as_jobs_and_the_result_is_a_permission_checked_download(
        client, six_projects, zhongyuan_editor, erqi_editor, city_admin, settings):
    settings.CITYRENEW_EXPORT_JOB_ROWS = 6
    client.force_login(zhongyuan_editor)
    resp = client.get("/projects/summary/export.xlsx?kind=library")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")  # 6 ≤ 6

    settings.CITYRENEW_EXPORT_JOB_ROWS = 5
    resp = client.get("/projects/summary/export.xlsx?kind=library")
    assert resp.status_code == 200 and 'data-testid="job-launch"' in resp.content.decode()
    assert "项目库共 6 个项目" in resp.content.decode() and not Job.objects.exists()
    library = job_of(client.post("/projects/summary/export.xlsx?kind=library"))
    listing = job_of(client.post("/projects/export.xlsx?q=测试项目"))
    assert listing.params == {"query": "q=%E6%B5%8B%E8%AF%95%E9%A1%B9%E7%9B%AE"}
    assert run_pending() == 2

    for job, title in ((library, "郑州市城市更新项目库"), (listing, "序号")):
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED and job.percent == 100, job.error
        assert str(job.result_path).startswith(str(settings.DATA_DIR))
        html = client.get(job.get_absolute_url()).content.decode()
        assert 'data-testid="job-download"' in html and str(settings.DATA_DIR) not in html
        resp = client.get(reverse("jobs:download", args=[job.pk]))
        assert resp.status_code == 200 and resp["Content-Disposition"].lower().startswith("attachment; filename*=utf-8''")
        ws = load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active
        assert ws["A1"].value == title
    assert ws.max_row == 7  # header + 6 projects

    # another district editor neither sees nor downloads it; a city admin does
    client.force_login(erqi_editor)
    assert client.get(library.get_absolute_url()).status_code == 404
    assert client.get(reverse("jobs:download", args=[library.pk])).status_code == 404
    assert client.get("/api/jobs/%d/" % library.pk).status_code == 404
    assert library.title not in client.get("/jobs/").content.decode()
    client.force_login(city_admin)
    assert client.get(reverse("jobs:download", args=[library.pk])).status_code == 200
    assert "导出项目库（正式格式）" in client.get("/jobs/").content.decode()

    client.force_login(zhongyuan_editor)
    data = client.get("/api/jobs/%d/" % library.pk).json()
    assert data["status"] == "succeeded" and data["status_label"] == "已完成" and data["percent"] == 100
    assert data["download_url"] == reverse("jobs:download", args=[library.pk])
    assert data["owner"] == zhongyuan_editor.username and "result_file" not in data
    assert [j["id"] for j in client.get("/api/jobs/").json()["results"]] == [listing.pk, library.pk]


def test_progress_block_is_polled_until_the_job_ends(client, six_projects, city_admin):
    client.force_login(city_admin)
    job = launch("projects.export_library", owner=city_admin, as_of=None)
    part = client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert part.lstrip().startswith('<div id="job-status"') and 'hx-trigger="every 1s"' in part
    run_pending()
    part = client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in part and "已完成" in part and 'value="100"' in part


def test_cancelled_queued_job_never_runs(client, six_projects, city_admin):
    client.force_login(city_admin)
    job = launch("projects.export_library", owner=city_admin, as_of=None)
    client.post(reverse("jobs:cancel", args=[job.pk]))
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and not job.result_file and job.attempts == 0


# --- recovery -------------------------------------------------------------------------------------


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_recover_marks_dead_imports_failed_and_requeues_idempotent_exports(six_projects, city_admin):
    import socket

    host = socket.gethostname()
    started = timezone.now()
    imp = Job.objects.create(kind="projects.import", title="导入项目：big.csv", owner=city_admin, status=JobStatus.RUNNING,
                             worker=f"{host}:{dead_pid()}", started_at=started, heartbeat_at=started, attempts=1,
                             params={"token": "0" * 32 + ".csv"})
    exp = launch("projects.export_library", owner=city_admin, as_of=None)
    Job.objects.filter(pk=exp.pk).update(status=JobStatus.RUNNING, worker=f"{host}:{dead_pid()}", attempts=1,
                                         started_at=started, heartbeat_at=started)
    alive = Job.objects.create(kind="projects.export_library", title="另一个进程的任务", owner=city_admin,
                               status=JobStatus.RUNNING, worker=f"{host}:{os.getppid()}", started_at=started,
                               heartbeat_at=started, attempts=1)
    outcome = {job.pk: what for job, what in recover()}
    assert outcome == {imp.pk: "failed", exp.pk: "requeued"}
    imp.refresh_from_db()
    assert imp.status == JobStatus.FAILED and imp.error == DIED_MESSAGE
    alive.refresh_from_db()
    assert alive.status == JobStatus.RUNNING  # its worker is alive and its heartbeat fresh
    run_pending()
    exp.refresh_from_db()
    assert exp.status == JobStatus.SUCCEEDED and exp.attempts == 2 and exp.result_path is not None


def test_a_stale_heartbeat_on_another_host_counts_as_dead(six_projects, city_admin, settings):
    settings.CITYRENEW_JOBS_STALE_AFTER = 60
    old = timezone.now() - timezone.timedelta(seconds=61)
    fresh = timezone.now() - timezone.timedelta(seconds=59)
    stale = Job.objects.create(kind="projects.import", title="a", owner=city_admin, status=JobStatus.RUNNING,
                               worker="other-host:1", started_at=old, heartbeat_at=old, attempts=1)
    recent = Job.objects.create(kind="projects.import", title="b", owner=city_admin, status=JobStatus.RUNNING,
                                worker="other-host:2", started_at=old, heartbeat_at=fresh, attempts=1)
    assert [job.pk for job, _ in recover()] == [stale.pk]
    recent.refresh_from_db()
    assert recent.status == JobStatus.RUNNING
