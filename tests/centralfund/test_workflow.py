"""The W1 workflow on real records: the eligibility gate, one city per province, the 8GB package, the
cap, then the ministry's round (scores → 120% shortlist → defence → combined → publicity → confirmed)
moving the city's application; refusals leave nothing saved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from cityrenew.centralfund import services
from cityrenew.centralfund.choices import ApplicationState as S
from cityrenew.centralfund.choices import CandidateStatus, Condition, RoundStage
from cityrenew.centralfund.models import (
    Application,
    ApplicationFile,
    Candidate,
    EligibilityCondition,
    FlagshipItem,
    MechanismItem,
    SelectionRound,
)
from cityrenew.centralfund.workflow import TransitionError, transition

from .conftest import PROVINCE_CITIES, default_rows, scores_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(regions, make_user):
    from django.contrib.auth import get_user_model

    return {
        "city": make_user("zzadmin", "city_admin", "410100"),
        "province": make_user("henan", "city_admin", "410000"),
        "viewer": make_user("zzviewer", "viewer", "410100"),
        "ministry": get_user_model().objects.create_superuser("mof", password="pass-mof"),
    }


def _application(city, **extra) -> Application:
    app = Application.objects.create(city=city, year=2025, old_city_scope="二七区、管城区老城区", **extra)
    for cond in Condition:
        EligibilityCondition.objects.create(application=app, condition=cond.value)
    return app


def _fill(app: Application, *, evidence_size: int = 1000) -> None:
    for c in app.conditions.all():
        c.met, c.note = True, "见佐证材料"
        c.save()
        ApplicationFile.objects.create(application=app, kind=f"condition_{c.condition}", name=f"条件{c.condition}.pdf",
                                       medium="disc", size=evidence_size, classified_checked=True)
    ApplicationFile.objects.create(application=app, kind="work_plan", name="工作方案.pdf", medium="disc", size=1000,
                                   classified_checked=True)
    FlagshipItem.objects.create(application=app, category=1, name="老城区供水管网更新改造")
    MechanismItem.objects.create(application=app, category=1, name="城市更新项目储备库")


def test_gate_needs_all_three_conditions_with_evidence(regions, people):
    app = _application(regions["郑州市"])
    with pytest.raises(TransitionError) as exc:
        transition(app, S.RECOMMENDED, user=people["province"])
    msg = str(exc.value)
    assert "基础条件1" in msg and "基础条件3" in msg and "未上传工作方案" in msg and "样板项目" in msg
    _fill(app)
    third = app.conditions.get(condition=3)
    third.met = False
    third.save()
    with pytest.raises(TransitionError, match="基础条件3（2023年（含）以来.*）不满足"):
        transition(app, S.RECOMMENDED, user=people["province"])
    third.met = True
    third.save()
    app.files.filter(kind="condition_2").delete()
    with pytest.raises(TransitionError, match="基础条件2.*缺少佐证材料"):
        transition(app, S.RECOMMENDED, user=people["province"])
    app.refresh_from_db()
    assert app.state == S.DRAFT and not app.transitions.exists()


def test_only_the_province_recommends(regions, people):
    app = _application(regions["郑州市"])
    _fill(app)
    for who in ("city", "viewer"):
        with pytest.raises(TransitionError, match="您无权"):
            transition(app, S.RECOMMENDED, user=people[who])
    transition(app, S.RECOMMENDED, user=people["province"])
    app.refresh_from_db()
    assert app.state == S.RECOMMENDED and app.transitions.get().user == people["province"]
    assert app.get_history().filter(action="update").exists()


def test_one_city_per_province(regions, people):
    from cityrenew.core.models import Region

    first = _application(regions["郑州市"])
    _fill(first)
    transition(first, S.RECOMMENDED, user=people["province"])
    luoyang = Region.objects.create(code="410300", name="洛阳市", level="city", kind="prefecture_city",
                                    parent=Region.objects.get(code="410000"))
    second = _application(luoyang)
    _fill(second)
    with pytest.raises(TransitionError, match="河南省2025年度已推荐郑州市；每省（区、市）只可推荐1个城市参评"):
        transition(second, S.RECOMMENDED, user=people["province"])
    second.refresh_from_db()
    assert second.state == S.DRAFT


def test_requested_subsidy_above_cap_refused(regions, people, chengdu):
    app = _application(regions["郑州市"], requested_subsidy=Decimal("10.01"))  # 河南: 中部, ≤ 10 亿元
    _fill(app)
    with pytest.raises(TransitionError, match="申请中央补助 10.01 亿元超过中部地区每个城市上限 10 亿元"):
        transition(app, S.RECOMMENDED, user=people["province"])
    app.requested_subsidy = Decimal("10")
    app.save()
    transition(app, S.RECOMMENDED, user=people["province"])


def _recommended(regions, people, **fill) -> Application:
    app = _application(regions["郑州市"], authenticity_commitment=True)
    _fill(app, **fill)
    ApplicationFile.objects.create(application=app, kind="joint_document", name="联合行文.pdf", medium="disc", size=1000,
                                   classified_checked=True)
    transition(app, S.RECOMMENDED, user=people["province"])
    return app


def test_package_8gb_boundary(regions, people):
    app = _recommended(regions, people)
    used = app.package_bytes()
    big = ApplicationFile.objects.create(application=app, kind="other", name="影像资料", medium="disc",
                                         size=8 * 10**9 - used + 1, classified_checked=True)
    with pytest.raises(TransitionError, match="超过 8GB（按 8×10⁹ 字节计）1 字节"):
        transition(app, S.SUBMITTED, user=people["province"])
    big.size -= 1  # exactly 8 GB passes
    big.save()
    transition(app, S.SUBMITTED, user=people["province"])
    assert Application.objects.get(pk=app.pk).state == S.SUBMITTED


def test_submit_needs_classified_check_and_joint_document(regions, people):
    app = _recommended(regions, people)
    app.files.filter(kind="joint_document").delete()
    f = app.files.first()
    f.classified_checked = False
    f.save()
    with pytest.raises(TransitionError) as exc:
        transition(app, S.SUBMITTED, user=people["province"])
    assert "未确认不含涉密内容" in str(exc.value) and "联合行文" in str(exc.value)


def test_uploaded_file_counts_its_size(regions, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    app = _application(regions["郑州市"])
    f = ApplicationFile(application=app, kind="work_plan", name="工作方案.pdf")
    f.file.save("工作方案.pdf", ContentFile(b"%PDF-1.4\n" + b"x" * 100), save=False)
    f.size = f.file.size
    f.save()
    assert app.package_bytes() == 109


def _scores_with_zhengzhou() -> bytes:
    return scores_csv(default_rows()).encode()  # 郑州市 is 6th (88.0)


def test_round_end_to_end_moves_the_application(regions, people):
    app = _recommended(regions, people)
    transition(app, S.SUBMITTED, user=people["province"])
    rnd = SelectionRound.objects.create(year=2025)
    assert rnd.shortlist_size == 24
    services.import_written_scores(rnd, _scores_with_zhengzhou(), people["ministry"])
    assert rnd.candidates.count() == 25
    app.refresh_from_db()
    assert app.state == S.IN_WRITTEN_REVIEW and app.candidate.written_score == Decimal("88.0")

    result = services.make_shortlist(rnd, people["ministry"])
    assert result.size == 24 and len(result.cities) == 24
    assert rnd.candidates.filter(status=CandidateStatus.SHORTLISTED).count() == 24
    assert rnd.candidates.get(city="南宁市").status == CandidateStatus.NOT_SHORTLISTED
    app.refresh_from_db()
    assert app.state == S.SHORTLISTED

    zz = rnd.candidates.get(city="郑州市")
    with pytest.raises(services.SelectionError, match="得分 100.5 超出范围，应在 0–100 之间"):
        services.record_defence_score(zz, "100.5", people["ministry"])
    zz.refresh_from_db()
    assert zz.defence_score is None
    with pytest.raises(services.SelectionError, match="尚未录入现场答辩得分"):
        services.select(rnd, people["ministry"])
    for n, c in enumerate(rnd.candidates.filter(status=CandidateStatus.SHORTLISTED).order_by("rank")):
        services.record_defence_score(c, str(50 + 2 * n), people["ministry"])  # the defence reverses the order
    app.refresh_from_db()
    assert app.state == S.DEFENDED
    services.select(rnd, people["ministry"])
    selected = rnd.candidates.filter(status=CandidateStatus.SELECTED)
    assert selected.count() == 20
    # combined = (95.5 − 1.5n + 50 + 2n) / 2 grows with the written rank n: the first four drop out
    assert set(rnd.candidates.exclude(status=CandidateStatus.SELECTED).values_list("city", flat=True)) == {
        "北京市", "上海市", "天津市", "重庆市", "南宁市"}
    zz.refresh_from_db()
    assert zz.combined_score == Decimal("74.00")  # (88.0 + 60) / 2
    app.refresh_from_db()
    assert app.state == S.SELECTED

    services.start_publicity(rnd, None, people["ministry"])
    app.refresh_from_db()
    assert app.state == S.IN_PUBLICITY
    services.confirm(rnd.candidates.get(city="郑州市"), people["ministry"])
    other = rnd.candidates.filter(status=CandidateStatus.IN_PUBLICITY).first()
    with pytest.raises(services.SelectionError, match="须填写原因"):
        services.disqualify(other, " ", people["ministry"])
    services.disqualify(other, "申报材料经查实不实", people["ministry"])
    app.refresh_from_db()
    assert app.state == S.CONFIRMED
    # the performance app's guard: filing the sealed targets needs both tables filed under 绩效
    with pytest.raises(TransitionError, match="三年行动总体绩效目标表、年度绩效目标表尚未在“绩效”中盖章备案"):
        transition(app, S.TARGETS_FILED, user=people["city"])
    _file_performance_table(app.city, "overall", 2025)
    with pytest.raises(TransitionError, match="年起的年度绩效目标表尚未在“绩效”中盖章备案"):
        transition(app, S.TARGETS_FILED, user=people["city"])
    app.refresh_from_db()
    assert app.state == S.CONFIRMED
    _file_performance_table(app.city, "annual", 2025)
    transition(app, S.TARGETS_FILED, user=people["city"])
    app.refresh_from_db()
    assert app.state == S.TARGETS_FILED
    for c in rnd.candidates.filter(status=CandidateStatus.IN_PUBLICITY):
        services.confirm(c, people["ministry"])
    rnd.refresh_from_db()
    assert rnd.stage == RoundStage.CLOSED


def _file_performance_table(city, kind: str, year: int):
    """A filed city-level performance target table (one indicator, a target in each of its years)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cityrenew.performance import services as perf
    from cityrenew.performance.models import Indicator, Result, TargetTable

    table = TargetTable.objects.create(city=city, kind=kind, year=year)
    ind = Indicator.objects.create(result=Result.objects.create(table=table, title="老旧片区宜居环境明显改善"),
                                   name="改造老旧小区", unit="个", direction="increase")
    perf.set_targets(ind, Decimal("0"), {y: Decimal("10") for y in table.years()})
    pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    perf.file_table(table, None, SimpleUploadedFile("盖章.pdf", pdf, content_type="application/pdf"))
    return table


def test_round_refuses_two_cities_of_one_province_and_saves_nothing(regions, people):
    rnd = SelectionRound.objects.create(year=2025)
    data = scores_csv(default_rows(10) + [("绵阳市", "四川省", "99")]).encode()
    with pytest.raises(services.SelectionError, match="四川省已推荐成都市.*又推荐绵阳市"):
        services.import_written_scores(rnd, data, people["ministry"])
    assert not Candidate.objects.exists()
    with pytest.raises(services.SelectionError, match="只有财政部、住房城乡建设部"):
        services.import_written_scores(rnd, _scores_with_zhengzhou(), people["province"])


def test_round_refuses_out_of_range_written_score(regions, people):
    rnd = SelectionRound.objects.create(year=2025)
    rows = default_rows(5)
    rows[2] = (rows[2][0], rows[2][1], "-1")
    with pytest.raises(services.SelectionError, match="第 4 行「书面评审得分」：得分 -1 超出范围"):
        services.import_written_scores(rnd, scores_csv(rows).encode(), people["ministry"])
    assert not Candidate.objects.exists()


def test_unsubmitted_application_cannot_be_scored(regions, people):
    _application(regions["郑州市"])
    rnd = SelectionRound.objects.create(year=2025)
    with pytest.raises(services.SelectionError, match="郑州市 2025年度申报状态为“编制中”，尚未报送"):
        services.import_written_scores(rnd, _scores_with_zhengzhou(), people["ministry"])
    assert not Candidate.objects.exists()


def test_selection_tie_at_last_place_refused(regions, people):
    rnd = SelectionRound.objects.create(year=2025, places=2)
    rows = [(c, p, "80") for p, c in PROVINCE_CITIES[:3]]
    services.import_written_scores(rnd, scores_csv(rows).encode(), people["ministry"])
    services.make_shortlist(rnd, people["ministry"])  # ceil(2.4) = 3
    for c in rnd.candidates.all():
        services.record_defence_score(c, "70", people["ministry"])
    with pytest.raises(services.SelectionError, match="综合得分和书面评审得分均相同"):
        services.select(rnd, people["ministry"])
    assert not rnd.candidates.filter(status=CandidateStatus.SELECTED).exists()


def test_central_subsidy_tranches_stay_within_the_cap(regions, people):
    """A central-subsidy tranche that would take Zhengzhou (河南: 中部, 10 亿元 = 100 000 万元) over the cap
    is blocked before the finance approval; exactly the cap passes; other channels are not counted."""
    from cityrenew.funding.choices import TrancheState
    from cityrenew.funding.hooks import release_blockers
    from cityrenew.funding.models import Tranche
    from cityrenew.projects.models import RenewalProject

    p = RenewalProject.objects.create(code="K202501001", name="老城区供水管网更新", city=regions["郑州市"],
                                      total_investment=Decimal("20"))
    Tranche.objects.create(project=p, channel="central_finance", year=2025, amount=Decimal("90000"), state=TrancheState.APPROVED)
    Tranche.objects.create(project=p, channel="special_bond", year=2025, amount=Decimal("50000"), state=TrancheState.PAID)
    over = Tranche.objects.create(project=p, channel="central_finance", year=2026, amount=Decimal("10000.01"),
                                  state=TrancheState.DISTRICT_APPROVED)
    reasons = release_blockers(over)
    assert any("超过中部地区每个城市补助总额上限 10 亿元（100000 万元" in r for r in reasons), reasons
    over.amount = Decimal("10000")
    over.save()
    assert not any("补助总额上限" in r for r in release_blockers(over))
