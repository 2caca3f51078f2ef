"""Owners' votes end to end on the service layer: register, codes, ballots, refusals, tally at every edge,
certificate and the plans guard — against the real database."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document

from cityrenew.ballots import services
from cityrenew.ballots.documents import certificate_docx, letters_docx
from cityrenew.ballots.models import Ballot, OwnerUnit
from cityrenew.core.models import AuditLog

from .conftest import close_now, write_register

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def setup_vote(make_vote, tmp_path, rows, matter="major", **kw):
    vote = make_vote(matter, **kw)
    services.import_register(vote, write_register(tmp_path / f"register-{vote.pk}.csv", rows))
    codes = {u.room: code for u, code in services.issue_codes(vote)}
    return vote, codes


def cast_all(vote, codes, votes: dict[str, str]):
    for room, choice in votes.items():
        services.cast(vote, codes[room], choice)


def result_of(vote):
    close_now(vote)
    return services.finalize(vote).result


def snapshot():
    return (Ballot.objects.count(), AuditLog.objects.count(),
            list(OwnerUnit.objects.order_by("pk").values_list("code_used_at", "code_hash")))


# --- the register -------------------------------------------------------------------------------------

def test_register_import_all_or_nothing_with_row_and_field(make_vote, tmp_path):
    vote = make_vote()
    bad = write_register(tmp_path / "bad.csv", [
        ("1", "1", "101", "张三", "88.5", ""),
        ("1", "1", "102", "李四", "八十", ""),
        ("1", "1", "101", "王五", "90", ""),
        ("1", "1", "103", "", "70", ""),
        ("1", "1", "104", "赵六", "70", "也许"),
    ])
    with pytest.raises(services.VoteError) as exc:
        services.import_register(vote, bad)
    msg = str(exc.value)
    assert "未导入任何一行" in msg
    assert "第3行“专有部分面积”：“八十”不是数字" in msg
    assert "第4行“房号”：1栋1单元101与第2行重复" in msg
    assert "第5行“业主”：不能为空" in msg
    assert "第6行“建设单位未售”：“也许”应为“是”或“否”" in msg
    assert vote.units.count() == 0
    with pytest.raises(services.VoteError, match="缺少列：专有部分面积"):
        services.import_register(vote, write_register(tmp_path / "h.csv", [("1", "1", "101", "张三")],
                                                      header=("楼栋", "单元", "房号", "业主")))


def test_register_reimport_same_file_changes_nothing_and_is_fixed_after_codes(make_vote, tmp_path):
    vote = make_vote()
    f = write_register(tmp_path / "r.csv", [("1", "1", "101", "张三", "88.50", ""), ("1", "1", "102", "", "60", "是")])
    assert services.import_register(vote, f) == 2
    developer = vote.units.get(room="102")
    assert developer.owner == "建设单位" and developer.developer_unsold and developer.area == Decimal("60.00")
    before = AuditLog.objects.count()
    assert services.import_register(vote, f) == 2
    assert AuditLog.objects.count() == before
    services.issue_codes(vote)
    with pytest.raises(services.VoteError, match="表决码已发放，业主名册不能再更改"):
        services.import_register(vote, write_register(tmp_path / "r2.csv", [("1", "1", "101", "张三", "90", "")]))
    assert vote.units.get(room="101").area == Decimal("88.50")


def test_register_from_xlsx(make_vote, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["楼栋", "单元", "房号", "业主", "专有部分面积"])
    ws.append([3, 2, 301, "张三", 88.5])
    ws.append([3, 2, 302, "李四", 90])
    wb.save(tmp_path / "r.xlsx")
    vote = make_vote()
    assert services.import_register(vote, tmp_path / "r.xlsx") == 2
    assert [(u.building, u.unit, u.room, u.area) for u in vote.units.all()] == [
        ("3", "2", "301", Decimal("88.50")), ("3", "2", "302", Decimal("90.00"))]


def test_elevator_register_takes_only_its_stairwell_unit(make_vote, tmp_path):
    vote = make_vote("elevator", building="5", unit="2")
    f = write_register(tmp_path / "e.csv", [("5", "2", "101", "张三", "80", ""), ("5", "1", "101", "李四", "80", "")])
    with pytest.raises(services.VoteError, match="第3行：5栋1单元不属于本次加装电梯表决的5栋2单元"):
        services.import_register(vote, f)
    assert vote.units.count() == 0


# --- codes and ballots --------------------------------------------------------------------------------

def test_codes_are_stored_as_hashes_and_reissue_invalidates_the_old(make_vote, tmp_path):
    vote, codes = setup_vote(make_vote, tmp_path, [("1", "1", "101", "张三", "80", ""), ("1", "1", "102", "李四", "80", "")])
    unit = vote.units.get(room="101")
    assert unit.code_hash == hashlib.sha256(codes["101"].replace("-", "").encode()).hexdigest()
    assert codes["101"] not in str(list(OwnerUnit.objects.values()))
    [(_, new)] = services.issue_codes(vote, [unit])
    with pytest.raises(services.VoteError, match="表决码无效"):
        services.cast(vote, codes["101"], "同意")
    ballot, receipt, units = services.cast(vote, new.lower().replace("-", " "), "同意")  # case and separators ignored
    assert [u.room for u in units] == ["101"]
    assert AuditLog.for_object(unit).filter(note__contains="重新发放表决码").exists()
    with pytest.raises(services.VoteError, match="表决码已使用，不能重新发放"):
        services.issue_codes(vote, [vote.units.get(room="101")])


def test_letters_list_each_owners_units_and_codes(make_vote, tmp_path):
    vote = make_vote()
    services.import_register(vote, write_register(tmp_path / "r.csv", [
        ("1", "1", "101", "张三", "80", ""), ("1", "1", "102", "张三", "70", ""), ("1", "1", "103", "李四", "60", "")]))
    issued = services.issue_codes(vote)
    text = "\n".join(c.text for t in Document(io.BytesIO(letters_docx(vote, issued, "http://x/public/vote/1/"))).tables
                     for r in t.rows for c in r.cells)
    for unit, code in issued:
        assert code in text and unit.label in text
    doc = Document(io.BytesIO(letters_docx(vote, issued, "http://x/public/vote/1/")))
    assert sum(p.text == "尊敬的业主 张三：" for p in doc.paragraphs) == 1  # one letter for both of 张三's units


def test_second_ballot_with_a_used_code_is_refused_and_changes_nothing(make_vote, tmp_path):
    vote, codes = setup_vote(make_vote, tmp_path, [("1", "1", "101", "张三", "80", ""), ("1", "1", "102", "李四", "80", "")])
    services.cast(vote, codes["101"], "同意")
    before = snapshot()
    with pytest.raises(services.VoteError, match="该表决码已使用，不能再次投票"):
        services.cast(vote, codes["101"], "反对")
    assert snapshot() == before
    assert Ballot.objects.get(person="张三").choice == "同意"


def test_vote_after_close_and_before_open_refused(make_vote, tmp_path):
    vote, codes = setup_vote(make_vote, tmp_path, [("1", "1", "101", "张三", "80", "")])
    _, receipt, _ = services.cast(vote, codes["101"], "同意")
    close_now(vote)
    before = snapshot()
    with pytest.raises(services.VoteError, match="表决已于.*截止，不能再表决或修改"):
        services.change(vote, receipt, "反对")
    later, later_codes = setup_vote(make_vote, tmp_path, [("2", "1", "201", "李四", "80", "")], opens=2, closes=3)
    with pytest.raises(services.VoteError, match="表决尚未开始"):
        services.cast(later, later_codes["201"], "同意")
    assert snapshot()[0] == before[0] and Ballot.objects.get(person="张三").choice == "同意"


def test_code_of_another_plans_vote_refused(make_vote, tmp_path, plan):
    from cityrenew.plans.models import ImplementationPlan

    other_plan = ImplementationPlan.objects.create(code="SSFA-2026-002", title="另一方案", project=plan.project,
                                                   district=plan.district, entity=plan.entity, state=plan.state)
    vote, _ = setup_vote(make_vote, tmp_path, [("1", "1", "101", "张三", "80", "")])
    other, other_codes = setup_vote(make_vote, tmp_path, [("9", "1", "901", "王五", "80", "")], plan=other_plan, title="另一表决")
    before = snapshot()
    with pytest.raises(services.VoteError, match="该表决码属于另一项表决（另一表决）"):
        services.cast(vote, other_codes["901"], "同意")
    assert snapshot() == before


def test_bad_choice_refused(make_vote, tmp_path):
    vote, codes = setup_vote(make_vote, tmp_path, [("1", "1", "101", "张三", "80", "")])
    with pytest.raises(services.VoteError, match="表决意见“赞成”无效"):
        services.cast(vote, codes["101"], "赞成")
    assert vote.units.get().code_used_at is None


def test_receipt_changes_the_ballot_until_close_and_is_audited_without_the_choice(make_vote, tmp_path):
    vote, codes = setup_vote(make_vote, tmp_path, [("1", "1", "101", "张三", "80", "")])
    ballot, receipt, _ = services.cast(vote, codes["101"], "同意")
    ballot2, receipt2, _ = services.change(vote, receipt, "反对")
    assert ballot2.pk == ballot.pk and ballot2.choice == "反对" and ballot2.changes == 1
    with pytest.raises(services.VoteError, match="回执码无效"):
        services.change(vote, receipt, "弃权")  # the old receipt stopped working
    entries = list(AuditLog.for_object(ballot).order_by("pk"))
    assert [e.action for e in entries] == ["create", "update"]
    assert all("choice" not in e.changes and "同意" not in str(e.changes) and "反对" not in str(e.changes) for e in entries)
    assert entries[1].changes["changes"] == [0, 1]


def test_one_buyer_with_several_units_votes_once_for_all(make_vote, tmp_path):
    vote, codes = setup_vote(make_vote, tmp_path, [
        ("1", "1", "101", "张三", "80", ""), ("1", "1", "102", "张三", "70", ""), ("1", "1", "103", "张三", "50", ""),
        ("1", "1", "104", "李四", "100", "")])
    _, _, units = services.cast(vote, codes["101"], "同意")
    assert sorted(u.room for u in units) == ["101", "102", "103"]
    services.cast(vote, codes["102"], "反对")  # a later ballot with another of his codes replaces the first
    assert Ballot.objects.filter(vote=vote).count() == 1
    assert Ballot.objects.get(vote=vote, person="张三").choice == "反对"
    assert services.turnout(vote) == {"persons_total": 2, "persons_voted": 1, "units_total": 4, "units_voted": 3}
    services.cast(vote, codes["104"], "同意")
    r = result_of(vote)
    assert (r["owners_total"], r["area_total"], r["owners_voted"], r["area_voted"], r["owners_agree"], r["area_agree"]) == (
        2, "300.00", 2, "300.00", 1, "100.00")
    assert r["passed"] is False


def test_developer_unsold_units_are_one_person(make_vote, tmp_path):
    vote, codes = setup_vote(make_vote, tmp_path, [
        ("1", "1", "101", "", "80", "是"), ("1", "1", "102", "建设单位", "80", "是"), ("1", "1", "103", "", "80", "是"),
        ("1", "1", "104", "李四", "80", ""), ("1", "1", "105", "王五", "80", "")], matter="ordinary")
    services.cast(vote, codes["101"], "同意")
    services.cast(vote, codes["104"], "同意")
    r = result_of(vote)
    # 3 persons: 建设单位 (240 ㎡), 李四, 王五; 2 of 3 persons and 320 of 400 ㎡ took part
    assert (r["owners_total"], r["owners_voted"], r["area_voted"], r["owners_agree"]) == (3, 2, "320.00", 2)
    assert r["participation_ok"] and r["passed"]


def test_paper_ballot_needs_a_scan_and_consumes_the_code(make_vote, tmp_path, entity_clerk):
    vote, codes = setup_vote(make_vote, tmp_path, [("1", "1", "101", "张三", "80", ""), ("1", "1", "102", "李四", "80", "")])
    unit = vote.units.get(room="101")
    with pytest.raises(services.VoteError, match="须上传签字表决票的扫描件"):
        services.cast_paper(vote, unit, "同意", None, entity_clerk)
    fake = SimpleUploadedFile("ballot.pdf", b"<html><script>alert(1)</script></html>")
    with pytest.raises(services.VoteError, match="扫描件：文件“ballot.pdf”的扩展名是 .pdf，但内容是"):
        services.cast_paper(vote, unit, "同意", fake, entity_clerk)
    assert Ballot.objects.count() == 0
    ballot = services.cast_paper(vote, unit, "同意", SimpleUploadedFile("ballot.pdf", PDF), entity_clerk)
    assert ballot.source == "paper" and ballot.entered_by == entity_clerk and ballot.scan.read() == PDF
    with pytest.raises(services.VoteError, match="该表决码已使用"):
        services.cast(vote, codes["101"], "反对")


# --- tally at every edge (民法典第二百七十八条; 解释第八条、第九条) ---------------------------------------

THREE = [("1", "1", "101", "甲", "100", ""), ("1", "1", "102", "乙", "100", ""), ("1", "1", "103", "丙", "100", "")]


def test_participation_exactly_two_thirds_is_enough(make_vote, tmp_path):
    vote, codes = setup_vote(make_vote, tmp_path, THREE)
    cast_all(vote, codes, {"101": "同意", "102": "同意"})
    r = result_of(vote)
    assert r["participation_ok"] is True and r["passed"] is True


def test_participation_just_below_two_thirds_of_area_fails(make_vote, tmp_path):
    rows = [("1", "1", "101", "甲", "100", ""), ("1", "1", "102", "乙", "99.99", ""), ("1", "1", "103", "丙", "100.01", "")]
    vote, codes = setup_vote(make_vote, tmp_path, rows)
    cast_all(vote, codes, {"101": "同意", "102": "同意"})
    r = result_of(vote)
    assert r["participation_ok"] is False and r["passed"] is False
    assert any("不足总面积" in x for x in r["reasons"])


FOUR = [("1", "1", "101", "甲", "100", ""), ("1", "1", "102", "乙", "100", ""), ("1", "1", "103", "丙", "100", ""),
        ("1", "1", "104", "丁", "100", "")]


def test_major_exactly_three_quarters_passes(make_vote, tmp_path):
    vote, codes = setup_vote(make_vote, tmp_path, FOUR)
    cast_all(vote, codes, {"101": "同意", "102": "同意", "103": "同意", "104": "反对"})
    assert result_of(vote)["passed"] is True


def test_major_just_below_three_quarters_of_area_fails(make_vote, tmp_path):
    rows = FOUR[:2] + [("1", "1", "103", "丙", "99.99", ""), ("1", "1", "104", "丁", "100.01", "")]
    vote, codes = setup_vote(make_vote, tmp_path, rows)
    cast_all(vote, codes, {"101": "同意", "102": "同意", "103": "同意", "104": "反对"})
    r = result_of(vote)
    assert r["participation_ok"] is True and r["passed"] is False
    assert r["area_agree"] == "299.99"


def test_ordinary_exactly_half_of_area_fails_and_just_over_passes(make_vote, tmp_path):
    def run(d_area):
        rows = [("1", "1", "101", "甲", "300", ""), ("1", "1", "102", "乙", "100", ""), ("1", "1", "103", "丙", "100", ""),
                ("1", "1", "104", "丁", d_area, "")]
        vote, codes = setup_vote(make_vote, tmp_path, rows, matter="ordinary", title=f"其他事项{d_area}")
        cast_all(vote, codes, {"101": "同意", "102": "同意", "103": "同意", "104": "反对"})
        return result_of(vote)

    exactly_half = run("500")  # 500 of 1000 ㎡ agree: 过半数 not reached
    assert exactly_half["owners_agree"] == 3 and exactly_half["area_agree"] == "500.00"
    assert exactly_half["passed"] is False
    assert run("499.99")["passed"] is True


def test_ordinary_exactly_half_of_owners_fails(make_vote, tmp_path):
    vote, codes = setup_vote(make_vote, tmp_path, FOUR, matter="ordinary")
    cast_all(vote, codes, {"101": "同意", "102": "同意", "103": "反对", "104": "反对"})
    r = result_of(vote)
    assert r["participation_ok"] is True and r["passed"] is False


def test_elevator_is_counted_with_the_major_thresholds(make_vote, tmp_path):
    rows = [("5", "2", "101", "甲", "100", ""), ("5", "2", "201", "乙", "100", ""), ("5", "2", "301", "丙", "100", "")]
    elevator, codes = setup_vote(make_vote, tmp_path, rows, matter="elevator", building="5", unit="2")
    cast_all(elevator, codes, {"101": "同意", "201": "同意", "301": "反对"})
    r = result_of(elevator)
    assert r["matter"] == "major" and r["passed"] is False  # 2/3 agree: enough for 过半数, not for 3/4
    ordinary, codes = setup_vote(make_vote, tmp_path, [(b, u, room, o, a, "") for b, u, room, o, a, _ in rows],
                                 matter="ordinary", title="同样的表决，其他事项")
    cast_all(ordinary, codes, {"101": "同意", "201": "同意", "301": "反对"})
    assert result_of(ordinary)["passed"] is True


# --- secrecy, certificate, guard ------------------------------------------------------------------------

def test_results_hidden_until_close_then_certified_with_the_lists_hash(make_vote, tmp_path):
    vote, codes = setup_vote(make_vote, tmp_path, FOUR)
    cast_all(vote, codes, {"101": "同意", "102": "同意", "103": "同意"})
    with pytest.raises(services.VoteError, match="前结果不公开"):
        services.finalize(vote)
    with pytest.raises(services.VoteError, match="表决截止前不公布表决清单"):
        services.ballot_list_csv(vote)
    with pytest.raises(services.VoteError, match="不能出具结果证明"):
        certificate_docx(vote)
    close_now(vote)
    vote = services.finalize(vote)
    data = services.ballot_list_csv(vote)
    assert vote.ballots_sha256 == hashlib.sha256(data).hexdigest()
    assert data.decode().splitlines()[1:] == [
        "1,1,101,甲,100.00,同意,网上表决（表决码）", "1,1,102,乙,100.00,同意,网上表决（表决码）",
        "1,1,103,丙,100.00,同意,网上表决（表决码）", "1,1,104,丁,100.00,未参与,"]
    doc = Document(io.BytesIO(certificate_docx(vote)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "表决结果：通过" in text and vote.ballots_sha256 in text
    figures = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert figures[1:] == [["业主总计", "4", "400.00"], ["参与表决", "3", "300.00"], ["同意", "3", "300.00"]]
    tallied = vote.tallied_at
    assert services.finalize(vote).tallied_at == tallied  # tallied once


def test_consent_guard_needs_the_latest_closed_vote_passed(make_vote, tmp_path, plan, entity_clerk):
    from cityrenew.plans.choices import PlanState
    from cityrenew.plans.workflow import TransitionError, transition

    vote, codes = setup_vote(make_vote, tmp_path, THREE)
    with pytest.raises(TransitionError, match="业主表决尚未截止"):
        transition(plan, PlanState.CONSENTED, user=entity_clerk)
    cast_all(vote, codes, {"101": "同意"})  # 1 of 3: participation fails
    close_now(vote)
    with pytest.raises(TransitionError, match="未通过"):
        transition(plan, PlanState.CONSENTED, user=entity_clerk)
    plan.refresh_from_db()
    assert plan.state == PlanState.CONSULTATION
    again, codes = setup_vote(make_vote, tmp_path, [(b, u, r, o, a, "") for b, u, r, o, a, _ in THREE], title="再次表决")
    cast_all(again, codes, {"101": "同意", "102": "同意", "103": "同意"})
    close_now(again)
    transition(plan, PlanState.CONSENTED, user=entity_clerk)
    plan.refresh_from_db()
    assert plan.state == PlanState.CONSENTED
