"""The Zhengzhou library: import, the official summary (every printed figure), batches and as-of states."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from cityrenew.core.models import AuditLog
from cityrenew.projects.choices import BatchType, ChangeAction
from cityrenew.projects.importer import import_projects
from cityrenew.projects.models import AdjustmentBatch, ProjectChange, RenewalProject
from cityrenew.projects.summary import compute_summary, library_rows

pytestmark = pytest.mark.django_db

# Printed in seed 003 (spec/annexes-and-news.md §3.2 and §3.5): name → (count, total)
PRINTED_DISTRICTS = {
    "中原区": (25, "947.99"),
    "二七区": (20, "602.55"),
    "金水区": (23, "780.79"),
    "管城区": (36, "1547.65"),
    "惠济区": (17, "481.36"),
    "经开区": (9, "63.33"),
    "高新区": (20, "904.44"),
    "郑东新区": (22, "668.77"),
    "荥阳市": (14, "288.35"),
    "巩义市": (22, "482.74"),
    "新密市": (19, "137.30"),
    "新郑市": (19, "168.01"),
    "上街区": (8, "27.85"),
    "中牟县": (13, "359.40"),
    "登封市": (8, "46.92"),
}
PRINTED_GROUPS = [("市内五区", 122, "4748.34"), ("各开发区", 51, "1636.54"), ("各区县（市）", 103, "1510.57")]
GROUP_DISTRICTS = {
    "市内五区": ["中原区", "二七区", "金水区", "管城区", "惠济区"],
    "各开发区": ["经开区", "高新区", "郑东新区"],
    "各区县（市）": ["荥阳市", "巩义市", "新密市", "新郑市", "上街区", "中牟县", "登封市"],
}
MULTI = [{"code": "K202201001", "districts": ["中原区", "二七区", "金水区"], "total": "388.00"}]
BATCH_DOC = "郑建文〔2025〕45号"


def assert_official(summary: dict) -> None:
    assert summary["total"] == "7895.45"
    assert summary["count"] == 276
    assert [(g["name"], g["count"], g["total"]) for g in summary["groups"]] == PRINTED_GROUPS
    for g in summary["groups"]:
        assert [d["name"] for d in g["districts"]] == GROUP_DISTRICTS[g["name"]]
        for d in g["districts"]:
            assert (d["count"], d["total"]) == PRINTED_DISTRICTS[d["name"]], d["name"]
    assert summary["multi_district"] == MULTI


def csv_without(path, codes: set[str]) -> io.StringIO:
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(r for r in rows if r["code"] not in codes)
    buf.seek(0)
    return buf


def test_library_csv_gives_every_printed_figure(regions, reference_data):
    report = import_projects(reference_data / "zhengzhou_projects.csv")
    assert report.ok, report.summary_text()
    assert (report.created, report.updated, report.unchanged) == (276, 0, 0)
    assert RenewalProject.objects.count() == 276
    summary = compute_summary()
    assert_official(summary)
    # the cross-district project is in none of its three districts' subtotals, but in the group total
    k = RenewalProject.objects.get(code="K202201001")
    assert sorted(r.display_name for r in k.districts.all()) == sorted(["中原区", "二七区", "金水区"])
    assert k.region_group.name == "市内五区"
    zy = next(d for d in summary["groups"][0]["districts"] if d["name"] == "中原区")
    assert zy["count"] == 25  # 26 projects touch 中原区, the official subtotal counts 25
    assert RenewalProject.objects.filter(districts=regions["中原区"]).count() == 26
    # exact amounts survive (6 decimals) and the exact grand total is the Decimal row sum
    assert RenewalProject.objects.get(seq=18).total_investment == Decimal("1.107528")
    assert sum(p.total_investment for p in RenewalProject.objects.all()) == Decimal("7895.449028")


def test_detail_layout_lists_projects_in_official_order(regions, reference_data):
    import_projects(reference_data / "zhengzhou_projects.csv")
    rows = library_rows()
    kinds = [r["kind"] for r in rows]
    assert kinds[0] == "group" and kinds[1] == "multi" and kinds[-1] == "total"
    numbered = [r for r in rows if r["kind"] in ("multi", "project")]
    with open(reference_data / "zhengzhou_projects.csv", encoding="utf-8") as fh:
        official = [r["code"] for r in csv.DictReader(fh)]
    assert [r["code"] for r in numbered] == official  # same row order as the printed table
    assert [r["no"] for r in numbered] == list(range(1, 277))
    assert rows[-1]["total"] == "7895.45"


def test_batch_path_gives_the_same_library(regions, reference_data):
    with open(reference_data / "zhengzhou_new_2025.csv", encoding="utf-8") as fh:
        new_codes = {r["code"] for r in csv.DictReader(fh)}
    assert len(new_codes) == 23
    initial = import_projects(
        csv_without(reference_data / "zhengzhou_projects.csv", new_codes),
        batch_no="郑州市城市更新项目库", batch_type="初始入库",
    )
    assert initial.ok and initial.created == 253
    before = compute_summary()
    assert before["count"] == 253
    report = import_projects(reference_data / "zhengzhou_new_2025.csv", batch_no=BATCH_DOC, batch_type="新增入库")
    assert report.ok, report.summary_text()
    assert report.created == 23
    assert report.created_investment == Decimal("88.4079")
    batch = AdjustmentBatch.objects.get(doc_number=BATCH_DOC)
    assert batch.batch_type == BatchType.ADD
    assert batch.added_projects.count() == 23
    assert sum(p.total_investment for p in batch.added_projects.all()) == Decimal("88.4079")
    assert ProjectChange.objects.filter(batch=batch, action=ChangeAction.ADDED).count() == 23
    # the region group came from the district (the batch file has no group column)
    assert RenewalProject.objects.get(code="K202502009").region_group.name == "各区县（市）"
    assert_official(compute_summary())
    # the printed layout order is reproduced: batch projects close their district blocks
    with open(reference_data / "zhengzhou_projects.csv", encoding="utf-8") as fh:
        official = [r["code"] for r in csv.DictReader(fh)]
    assert [r["code"] for r in library_rows() if r["kind"] in ("multi", "project")] == official

    # the library as it stood after each batch
    initial_batch = AdjustmentBatch.objects.get(doc_number="郑州市城市更新项目库")
    as_initial = compute_summary(as_of=initial_batch)
    assert as_initial == before
    assert Decimal(compute_summary()["total"]) - Decimal(as_initial["total"]) == Decimal("88.41")
    assert_official(compute_summary(as_of=batch))


def test_removal_batch_and_as_of_state(regions, reference_data, city_admin):
    import_projects(reference_data / "zhengzhou_projects.csv", batch_no="郑州市城市更新项目库", batch_type="初始入库")
    initial = AdjustmentBatch.objects.get()
    removal = io.StringIO("项目编号,项目名称,项目总投资（亿元）,区域\nK202201005,芝麻街1958双创园,50,中原区\n")
    report = import_projects(removal, batch_no="测试调出〔2026〕1号", batch_type="调出", user=city_admin)
    assert report.ok and report.removed == 1, report.summary_text()
    now = compute_summary()
    assert now["count"] == 275 and now["total"] == "7845.45"
    zy = next(d for d in now["groups"][0]["districts"] if d["name"] == "中原区")
    assert (zy["count"], zy["total"]) == (24, "897.99")
    assert_official(compute_summary(as_of=initial))  # before the removal
    log = AuditLog.objects.filter(object_id=str(RenewalProject.objects.get(code="K202201005").pk)).first()
    assert log.user == city_admin and "status" in log.changes


def test_adjustment_batch_restores_old_amount_as_of_earlier_batch(regions, reference_data, city_admin):
    import_projects(reference_data / "zhengzhou_projects.csv", batch_no="郑州市城市更新项目库", batch_type="初始入库")
    initial = AdjustmentBatch.objects.get()
    adjust = io.StringIO("序号,项目编号,项目名称,项目总投资（亿元）,区域\n3,K202201006,二砂文化创意园,30,中原区\n")
    report = import_projects(adjust, batch_no="测试调整〔2026〕2号", batch_type="调整", update=True, user=city_admin)
    assert report.ok and report.updated == 1
    assert compute_summary()["total"] == "7896.45"
    assert_official(compute_summary(as_of=initial))
    change = ProjectChange.objects.get(action=ChangeAction.UPDATED)
    assert change.changes["total_investment"] == ["29", "30"]


def test_reimport_changes_nothing_and_says_so(regions, reference_data):
    import_projects(reference_data / "zhengzhou_projects.csv")
    logs = AuditLog.objects.count()
    report = import_projects(reference_data / "zhengzhou_projects.csv")
    assert report.ok and (report.created, report.updated, report.unchanged) == (0, 0, 276)
    assert "未做任何修改" in report.summary_text()
    assert AuditLog.objects.count() == logs
    assert not report.written


def test_every_created_project_is_audited_with_the_user(regions, reference_data, city_admin):
    report = import_projects(reference_data / "zhengzhou_new_2025.csv", user=city_admin, batch_no=BATCH_DOC)
    assert report.ok
    p = RenewalProject.objects.get(code="K202503010")
    logs = list(AuditLog.for_object(p))
    assert len(logs) == 1
    log = logs[0]
    assert (log.action, log.user, log.user_name, log.source) == ("create", city_admin, "cityadmin", "import")
    assert log.changes["total_investment"] == [None, "1.25"]
    assert log.changes["districts"] == [None, ["登封市"]]
    assert log.changes["code"] == [None, "K202503010"]
    # one audit row per project, plus the batch itself
    assert AuditLog.objects.filter(content_type__model="renewalproject").count() == 23
    assert AuditLog.objects.filter(content_type__model="adjustmentbatch").count() == 1


def test_update_audits_each_change(regions, reference_data, zhongyuan_editor):
    import_projects(reference_data / "zhengzhou_projects.csv")
    changed = io.StringIO(
        "序号,项目编号,项目名称,项目总投资（亿元）,区域\n"
        "2,K202201005,芝麻街1958双创园（二期）,50.5,中原区\n"
        "3,K202201006,二砂文化创意园,29,中原区\n"
    )
    refused = import_projects(changed, user=zhongyuan_editor)
    assert not refused.ok
    assert "已在项目库中" in str(refused.errors[0]) and "项目名称、项目总投资（亿元）" in str(refused.errors[0])
    changed.seek(0)
    report = import_projects(changed, user=zhongyuan_editor, update=True)
    assert report.ok, report.summary_text()
    assert (report.updated, report.unchanged) == (1, 1)
    p = RenewalProject.objects.get(code="K202201005")
    assert p.name == "芝麻街1958双创园（二期）" and p.total_investment == Decimal("50.5")
    log = AuditLog.for_object(p).first()
    assert log.action == "update" and log.user == zhongyuan_editor
    assert log.changes == {"name": ["芝麻街1958双创园", "芝麻街1958双创园（二期）"], "total_investment": ["50", "50.5"]}
    s = compute_summary()
    zy = next(d for d in s["groups"][0]["districts"] if d["name"] == "中原区")
    assert zy["total"] == "948.49" and s["total"] == "7895.95"


def test_district_editor_cannot_import_into_another_district(regions, reference_data, zhongyuan_editor):
    report = import_projects(reference_data / "zhengzhou_new_2025.csv", user=zhongyuan_editor)
    assert not report.ok
    assert RenewalProject.objects.count() == 0
    msgs = [str(e) for e in report.errors]
    assert "第 5 行「区域」：无权在区域“二七区”新建项目：超出您的编辑范围" in msgs
    assert len(msgs) == 20  # the three 中原区 rows are fine


def test_dry_run_writes_nothing(regions, reference_data):
    report = import_projects(reference_data / "zhengzhou_projects.csv", dry_run=True, batch_no=BATCH_DOC)
    assert report.ok and report.created == 276 and report.dry_run
    assert "试导入" in report.summary_text()
    assert RenewalProject.objects.count() == 0 and AdjustmentBatch.objects.count() == 0
    assert AuditLog.objects.filter(content_type__app_label="projects").count() == 0


def test_projects_not_yet_admitted_count_in_no_official_table(regions, reference_data, client, viewer):
    """谋划 and 储备 projects (e.g. drafts made from check-up problems) are not in the library yet."""
    assert import_projects(reference_data / "zhengzhou_projects.csv").ok
    zhongyuan = regions["中原区"]
    for code, status in (("K202699001", "planning"), ("K202699002", "reserve")):
        p = RenewalProject(code=code, name=f"草稿项目{code}", city=regions["郑州市"], total_investment=Decimal("5"),
                           status=status, region_group=zhongyuan.group)
        p.save()
        p.districts.set([zhongyuan])
    assert_official(compute_summary())
    client.force_login(viewer)
    page = client.get("/projects/summary/").content.decode()
    assert "7895.45" in page and "另有 2 个谋划、储备阶段的项目尚未入库" in page
    # admitted, it counts
    RenewalProject.objects.filter(code="K202699002").update(status="library")
    summary = compute_summary()
    assert (summary["total"], summary["count"]) == ("7900.45", 277)
