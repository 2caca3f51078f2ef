"""Bulk import of the device registry (感知设备导入): a good file, every kind of bad row refused with nothing
saved, existing codes updated, district scope and the reader's refusal, the template, the export → import round
trip, the background job and the command line — real xlsx/CSV files written with openpyxl."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from cityrenew.core.models import AuditLog, Region
from cityrenew.core.xlsx import put
from cityrenew.lifeline.choices import DeviceStatus, Sector
from cityrenew.lifeline.importer import COLUMNS, import_devices
from cityrenew.lifeline.models import AlarmRule, Datastream, Device, MonitoredAsset, ObservedProperty, Sensor

pytestmark = pytest.mark.django_db

HEADERS = [c.header for c in COLUMNS]
TODAY = dt.date.today()


def row(code="GAS-0001", name="中原路调压箱出口压力计", district="中原区", streams="燃气管网压力（MPa）", **kw):
    values = {"设备编码": code, "名称": name, "设备类型": "压力变送器", "行业": "燃气", "所在区": district, "监测对象编码": "",
              "经度": "113.625", "纬度": "34.748", "安装日期": "2025-06-30", "同步设计": "是", "同步施工": "是",
              "同步验收": "否", "同步交付使用": "是", "运维状态": "正常", "监测内容": streams, "传感器型号": "", "描述": ""}
    values.update(kw)
    return [values[h] for h in HEADERS]


def xlsx(path, rows, headers=HEADERS):
    """A real workbook as a user saves it; text that looks like a formula stays text (typed with Excel's ')."""
    wb = Workbook()
    ws = wb.active
    for i, values in enumerate([headers, *rows], start=1):
        for j, v in enumerate(values, start=1):
            put(ws, i, j, v)
    wb.save(path)
    return path


@pytest.fixture
def registry(regions):
    """A city whose platform already measures 燃气管网压力 in MPa (a rule), and one registered asset."""
    prop = ObservedProperty.objects.create(name="燃气管网压力")
    AlarmRule.objects.create(code="GAS-P", name="燃气管网压力异常", observed_property=prop, unit_symbol="MPa",
                             definition={"levels": [{"name": "一级", "rank": 1, "conditions": [
                                 {"kind": "threshold", "word": "超过", "value": 0.44}]}]})
    MonitoredAsset.objects.create(code="GA-001", name="中原路调压箱", kind="station", sector=Sector.GAS,
                                  district=Region.objects.get(code="410102"))
    return prop


def test_a_good_file_creates_devices_with_their_datastreams_audited(registry, city_admin, tmp_path):
    f = xlsx(tmp_path / "devices.xlsx", [
        row("GAS-0001", 监测对象编码="GA-001", 所在区="", 监测内容="燃气管网压力（MPa）；阀门井甲烷浓度（%LEL）"),
        row("MH-0002", "嵩山路智能井盖", "二七区", "井盖倾角(°)", 行业="窨井盖", 经度=113.64, 纬度=34.72, 安装日期=dt.date(2024, 5, 1),
            同步设计="否", 同步施工="否", 同步交付使用="否", 运维状态="维护中", 传感器型号="倾角传感器 QJ-2"),
    ])
    report = import_devices(f, user=city_admin, dry_run=True)
    assert report.ok and (report.created, report.streams_created) == (2, 3) and not Device.objects.exists()
    assert report.new_properties == ["阀门井甲烷浓度", "井盖倾角"]
    report = import_devices(f, user=city_admin)
    assert report.ok and report.written, report.errors
    gas = Device.objects.get(code="GAS-0001")
    assert (gas.district.code, gas.asset.code, gas.sector, gas.status) == ("410102", "GA-001", Sector.GAS, DeviceStatus.NORMAL)
    assert (round(gas.location.x, 3), round(gas.location.y, 3), gas.install_date) == (113.625, 34.748, dt.date(2025, 6, 30))
    assert (gas.sync_design, gas.sync_construction, gas.sync_acceptance, gas.sync_handover) == (True, True, False, True)
    assert sorted(gas.datastreams.values_list("observed_property__name", "unit_symbol", "unit_name", "sensor__name")) == [
        ("燃气管网压力", "MPa", "兆帕", "压力变送器"), ("阀门井甲烷浓度", "%LEL", "爆炸下限百分比", "压力变送器")]
    assert gas.datastreams.get(unit_symbol="MPa").observed_property == registry  # the existing property, not a copy
    mh = Device.objects.get(code="MH-0002")
    assert (mh.district.code, mh.status, mh.install_date, mh.sync_handover) == ("410103", "maintenance", dt.date(2024, 5, 1), False)
    assert mh.datastreams.get().sensor.name == "倾角传感器 QJ-2"
    assert (Device.objects.count(), Datastream.objects.count(), ObservedProperty.objects.count()) == (2, 3, 3)
    logs = AuditLog.objects.filter(content_type__app_label="lifeline", content_type__model="device", action="create")
    assert logs.count() == 2 and {(e.user, e.source) for e in logs} == {(city_admin, "import")}
    assert AuditLog.objects.filter(content_type__app_label="lifeline", content_type__model="datastream", action="create").count() == 3
    before = AuditLog.objects.count()
    again = import_devices(f, user=city_admin)  # the same file again changes nothing
    assert (again.created, again.updated, again.unchanged, again.streams_created) == (0, 0, 2, 0)
    assert AuditLog.objects.count() == before


def test_every_bad_row_is_named_and_nothing_is_saved(registry, city_admin, tmp_path):
    future = (TODAY + dt.timedelta(days=3)).isoformat()
    f = xlsx(tmp_path / "bad.xlsx", [
        row("D-1"),
        row("D-2", 所在区="火星区"),
        row("D-3", 监测对象编码="NO-SUCH"),
        row("D-4", 安装日期="2025-13-45"),
        row("D-5", 经度="2.35", 纬度="48.85"),
        row("D-6", 经度="34.748", 纬度="113.625"),
        row("D-1", name="重复编码"),
        row("D-8", 监测内容="燃气管网压力（kPa）"),
        row("D-9", 安装日期=future),
        row("D-10", 行业="电力"),
        row("D-11", 监测内容="压力"),
        row("D-12", 同步验收="可能"),
        row("D-13", 监测对象编码="GA-001", 所在区="金水区"),
        row("", name=""),
    ])
    report = import_devices(f, user=city_admin)
    messages = [str(e) for e in report.errors]
    expected = [
        "第 3 行「所在区」：未知的区“火星区”：应为本市的区县名称",
        "第 4 行「监测对象编码」：未登记的监测对象编码“NO-SUCH”：请先在“监测对象”中登记，或留空",
        "第 5 行「安装日期」：不是有效的日期（实际为“2025-13-45”），应如 2025-06-30",
        "第 6 行「经度」：坐标（经度 2.35，纬度 48.85）不在中国境内",
        "第 7 行「经度」：经度和纬度似乎填反了",
        "第 8 行「设备编码」：设备编码“D-1”与第 2 行重复",
        "第 9 行「监测内容」：单位“kPa”与观测属性“燃气管网压力”在本平台使用的单位（MPa）不一致",
        f"第 10 行「安装日期」：{future} 晚于今天",
        "第 11 行「行业」：未知的行业“电力”，应为：燃气、供水",
        "第 12 行「监测内容」：“压力”缺少单位：应写作 观测属性（单位）",
        "第 13 行「同步验收」：应填“是”或“否”（实际为“可能”）",
        "第 14 行「所在区」：监测对象“GA-001”在中原区，与所在区“金水区”不一致",
        "第 15 行「设备编码」：必填，不能为空",
        "第 15 行「名称」：必填，不能为空",
    ]
    for text in expected:
        assert any(m.startswith(text) for m in messages), (text, messages)
    assert not any(m.startswith("第 2 行") for m in messages)
    assert report.error_count == len(messages) == len(expected)
    assert "未导入任何数据" in report.headline()
    assert not Device.objects.exists() and not Datastream.objects.exists() and ObservedProperty.objects.count() == 1
    no_sector = import_devices(xlsx(tmp_path / "cols.xlsx", [["D-1", "名称"]], headers=["设备编码", "名称"]), user=city_admin)
    assert [str(e) for e in no_sector.errors] == ["第 1 行「表头」：缺少必需的列：行业（第一行应为表头，实际为“设备编码、名称”）；请使用导入模板"]
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(HEADERS) + "\n", encoding="utf-8")
    assert [str(e) for e in import_devices(empty, user=city_admin).errors] == [
        "第 2 行「文件」：文件中没有数据行（第 1 行为表头，从第 2 行起每台设备一行）"]


def test_a_registered_code_is_updated_its_streams_kept(registry, city_admin, tmp_path):
    device = Device.objects.create(code="GAS-0001", name="旧名称", sector=Sector.GAS, district=Region.objects.get(code="410102"))
    Datastream.objects.create(name="燃气管网压力", device=device, sensor=Sensor.objects.create(name="压力变送器"),
                              observed_property=registry, unit_name="兆帕", unit_symbol="MPa")
    f = xlsx(tmp_path / "update.xlsx", [row(监测内容="燃气管网压力（MPa）；阀门井甲烷浓度（%LEL）")])
    report = import_devices(f, user=city_admin)
    assert report.ok and (report.created, report.updated, report.streams_created) == (0, 1, 1), report.errors
    device.refresh_from_db()
    assert device.name == "中原路调压箱出口压力计" and device.datastreams.count() == 2
    change = AuditLog.objects.filter(content_type__app_label="lifeline", content_type__model="device", object_id=str(device.pk), action="update").get()
    assert change.changes["name"] == ["旧名称", "中原路调压箱出口压力计"] and change.user == city_admin
    # a new unit for a property the device already measures is refused (its readings are stored in MPa)
    device.datastreams.filter(unit_symbol="%LEL").delete()
    AlarmRule.objects.all().delete()
    report = import_devices(xlsx(tmp_path / "unit.xlsx", [row(监测内容="燃气管网压力（kPa）")]), user=city_admin)
    assert [str(e) for e in report.errors] == [
        "第 2 行「监测内容」：设备已有“燃气管网压力”数据流（单位 MPa），导入不能更改其单位（已存读数按原单位保存）；请改为 MPa 或另建设备"]


def test_a_district_editor_imports_only_its_own_district(registry, zhongyuan_editor, tmp_path):
    Device.objects.create(code="EQ-1", name="二七区设备", sector=Sector.GAS, district=Region.objects.get(code="410103"))
    report = import_devices(xlsx(tmp_path / "d.xlsx", [row("ZY-1"), row("EQ-2", 所在区="二七区"), row("EQ-1")]),
                            user=zhongyuan_editor)
    assert [str(e) for e in report.errors] == [
        "第 3 行「所在区」：“二七区”超出您的授权区划范围，不能导入该区的设备",
        "第 4 行「设备编码」：设备“EQ-1”登记在二七区，超出您的授权区划范围，不能修改",
    ]
    assert Device.objects.count() == 1
    report = import_devices(xlsx(tmp_path / "ok.xlsx", [row("ZY-1")]), user=zhongyuan_editor)
    assert report.ok and Device.objects.get(code="ZY-1").district.code == "410102"


@pytest.fixture
def status_for_city_admins_only():
    """A city's stricter field rule: only 市级管理员 change a device's 运维状态 (restored afterwards)."""
    from cityrenew.core.choices import Role
    from cityrenew.core.fieldrules import register, rules_for

    old = rules_for(Device)
    update = {role: set(fields) - ({"status"} if role == Role.DISTRICT_EDITOR else set()) for role, fields in old.update.items()}
    register(Device, create=old.create, update=update, reasons=old.reasons, labels=old.labels, value_rules=old.value_rules,
             allowed_values=old.allowed_values, create_defaults=old.create_defaults)
    yield
    register(Device, create=old.create, update=old.update, reasons=old.reasons, labels=old.labels,
             value_rules=old.value_rules, allowed_values=old.allowed_values, create_defaults=old.create_defaults)


def test_field_rules_apply_to_imported_changes(registry, zhongyuan_editor, status_for_city_admins_only, tmp_path):
    Device.objects.create(code="ZY-1", name="中原区设备", sector=Sector.GAS, district=Region.objects.get(code="410102"))
    report = import_devices(xlsx(tmp_path / "s.xlsx", [row("ZY-1", "中原区设备", 运维状态="故障")]), user=zhongyuan_editor)
    assert "第 2 行「运维状态」：您的角色（区级编辑）不能修改" in [str(e) for e in report.errors]
    assert Device.objects.get(code="ZY-1").status == DeviceStatus.NORMAL and not Datastream.objects.exists()
    report = import_devices(xlsx(tmp_path / "ok.xlsx", [row("ZY-1", "中原区设备", 运维状态="正常")]), user=zhongyuan_editor)
    assert report.ok and report.updated == 1 and Device.objects.get(code="ZY-1").location is not None


def test_the_page_dry_run_then_confirm_and_readers_refused(client, registry, viewer, zhongyuan_editor, tmp_path):
    list_url, import_url = reverse("lifeline:device_list"), reverse("lifeline:device_import")
    client.force_login(viewer)
    assert 'data-testid="import-link"' not in client.get(list_url).content.decode()
    f = xlsx(tmp_path / "devices.xlsx", [row()])
    with open(f, "rb") as fh:
        assert client.post(import_url, {"file": fh, "dry_run": "on"}).status_code == 403
    assert client.get(import_url).status_code == 403
    client.force_login(zhongyuan_editor)
    assert 'data-testid="import-link"' in client.get(list_url).content.decode()
    with open(f, "rb") as fh:
        r = client.post(import_url, {"file": fh, "dry_run": "on"})
    page = r.content.decode()
    assert r.status_code == 200 and "校验通过（试导入，未写入）" in page and "新增 1 台" in page and not Device.objects.exists()
    r = client.post(import_url, {"confirm": "1", "token": r.context["token"], "filename": "devices.xlsx"})
    assert r.status_code == 200 and "导入完成" in r.content.decode()
    assert Device.objects.get().datastreams.get().unit_symbol == "MPa"
    bad = xlsx(tmp_path / "bad.xlsx", [row("X-1", 所在区="二七区")])
    with open(bad, "rb") as fh:
        r = client.post(import_url, {"file": fh})
    assert r.status_code == 400 and "第 2 行「所在区」：“二七区”超出您的授权区划范围" in r.content.decode()
    for name, content, refusal in [("devices.html", b"<p>x</p>", "不支持的文件类型“devices.html”：只接受 Excel（.xlsx）或 CSV 文件"),
                                   ("devices.csv", b"<html><script>x</script></html>", "扩展名是 .csv，但内容是HTML 网页"),
                                   ("devices.xlsx", "设备编码,名称\n".encode(), "扩展名是 .xlsx，但内容是文本/CSV 文件")]:
        upload = io.BytesIO(content)
        upload.name = name
        r = client.post(import_url, {"file": upload})
        assert r.status_code == 400 and refusal in r.content.decode(), name
    assert Device.objects.count() == 1


def test_template_and_export_round_trip_through_the_import(client, registry, city_admin, tmp_path):
    client.force_login(city_admin)
    r = client.get(reverse("lifeline:device_template"))
    wb = load_workbook(io.BytesIO(r.content))
    ws, options = wb["感知设备"], wb["选项"]
    assert [c.value for c in ws[1]] == HEADERS and options.sheet_state == "hidden"
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    col = {h: i for i, h in enumerate(HEADERS)}
    district_col = "ABCDEFGHIJKLMNOPQ"[col["所在区"]]
    assert lists[f"{district_col}2"].startswith("='选项'!$" + district_col)
    districts = [c.value for c in options[district_col] if c.value]
    assert "中原区" in districts and "二七区" in districts
    assert [c.value for c in options["ABCDEFGHIJKLMNOPQ"[col["行业"]]] if c.value][:2] == ["燃气", "供水"]
    assert [c.value for c in options["ABCDEFGHIJKLMNOPQ"[col["同步验收"]]] if c.value] == ["是", "否"]

    formula = "=HYPERLINK(\"http://evil\",\"点我\")"
    first = import_devices(xlsx(tmp_path / "a.xlsx", [
        row(监测内容="燃气管网压力（MPa）；阀门井甲烷浓度（%LEL）", 监测对象编码="GA-001"),
        row("MH-2", formula, "二七区", "井盖倾角（°）", 行业="窨井盖", 经度="", 纬度="", 安装日期=""),
    ]), user=city_admin)
    assert first.ok and first.created == 2, first.errors
    r = client.get(reverse("lifeline:device_list") + "?export=xlsx")
    exported = tmp_path / "export.xlsx"
    exported.write_bytes(r.content)
    ws = load_workbook(exported)["感知设备"]
    assert [c.value for c in ws[1]] == HEADERS
    cell = next(c for c in ws["B"] if c.value == formula)
    assert cell.data_type == "s"  # text, never a formula
    report = import_devices(exported, user=city_admin)
    assert report.ok and (report.created, report.updated, report.unchanged, report.streams_created) == (0, 0, 2, 0), report.errors
    assert Device.objects.get(code="MH-2").name == formula


def test_a_large_file_runs_as_a_background_job(client, registry, city_admin, tmp_path, settings):
    from cityrenew.jobs.models import Job
    from cityrenew.jobs.runner import run_pending

    settings.CITYRENEW_IMPORT_JOB_ROWS = 1
    client.force_login(city_admin)
    body = ",".join(HEADERS) + "\n" + "".join(",".join(row(f"B-{i}")) + "\n" for i in range(3))
    upload = io.BytesIO(body.encode("gbk"))
    upload.name = "devices.csv"
    r = client.post(reverse("lifeline:device_import"), {"file": upload})
    job = Job.objects.get(kind="lifeline.import_devices")
    assert r.status_code == 302 and r["Location"] == job.get_absolute_url() and not Device.objects.exists()
    run_pending()
    job.refresh_from_db()
    assert job.status == "succeeded" and "新增 3 台" in job.result_summary["text"]
    assert Device.objects.count() == 3 and AuditLog.objects.filter(content_type__app_label="lifeline", content_type__model="device", user=city_admin).count() == 3


def test_command_line_import_devices(registry, tmp_path):
    good = xlsx(tmp_path / "good.xlsx", [row()])
    buf = io.StringIO()
    call_command("lifeline", "import-devices", str(good), "--dry-run", "--format", "json", stdout=buf)
    data = json.loads(buf.getvalue())
    assert (data["ok"], data["created"], data["written"]) == (True, 1, False) and not Device.objects.exists()
    buf = io.StringIO()
    call_command("lifeline", "import-devices", str(good), stdout=buf)
    assert "导入完成" in buf.getvalue() and Device.objects.count() == 1
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(HEADERS) + "\n" + ",".join(row("C-2", 所在区="火星区")) + "\n", encoding="utf-8")
    buf = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("lifeline", "import-devices", str(bad), "--format", "json", stdout=buf)
    assert exc.value.returncode == 2 and "第 2 行「所在区」：未知的区“火星区”" in str(exc.value)
    assert json.loads(buf.getvalue())["errors"][0].startswith("第 2 行「所在区」") and Device.objects.count() == 1
