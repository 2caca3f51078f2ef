"""The ministry's side of the selection (书面评审 → 现场答辩名单 → 综合得分 → 公示 → 确定), on a
:class:`~.models.SelectionRound`. Each step is one transaction (all-or-nothing), audited, and moves the
linked application of this installation through :func:`.workflow.transition`. Refusals are
:class:`SelectionError` in Chinese; nothing is saved then.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from . import rules
from .choices import ApplicationState as AS
from .choices import CandidateStatus as CS
from .choices import RoundStage
from .models import Application, Candidate, SelectionRound
from .permissions import is_ministry
from .workflow import TransitionError, transition


class SelectionError(Exception):
    """A refused selection step (Chinese message); nothing was saved."""


def _ministry(user: Any) -> None:
    if not is_ministry(user):
        raise SelectionError("只有财政部、住房城乡建设部（系统超级管理员）可以操作遴选")


def _stage(rnd: SelectionRound, *stages: str) -> None:
    if rnd.stage not in stages:
        wanted = "、".join(RoundStage(s).label for s in stages)
        raise SelectionError(f"{rnd}当前阶段为“{rnd.get_stage_display()}”，此操作只能在“{wanted}”阶段进行")


def _move(app: Application | None, target: str, user: Any, note: str = "") -> None:
    if app is None:
        return
    try:
        transition(app, target, user=user, note=note)
    except TransitionError as exc:
        raise SelectionError(str(exc)) from exc


def _application_for(rnd: SelectionRound, city: str) -> Application | None:
    for app in Application.objects.filter(year=rnd.year).select_related("city", "city__parent"):
        if city in app.city.all_names():
            return app
    return None


def import_written_scores(rnd: SelectionRound, data: bytes, user: Any) -> list[Candidate]:
    """Record the written-review scores of a CSV ``城市, 省份, 书面评审得分`` (all rows checked first:
    score 0–100, one city per province). Re-importing the same file changes nothing."""
    _ministry(user)
    _stage(rnd, RoundStage.WRITTEN)
    try:
        rows = rules.read_scores_csv(data)
    except rules.RuleError as exc:
        raise SelectionError(str(exc)) from exc
    with transaction.atomic():
        names = [r.city for r in rows]
        for gone in rnd.candidates.exclude(city__in=names):
            gone.delete()
        out = []
        for r in rows:
            cand = rnd.candidates.filter(city=r.city).first() or Candidate(round=rnd, city=r.city)
            cand.province, cand.written_score = r.province, r.score
            app = _application_for(rnd, r.city)
            if app is not None:
                if app.state not in (AS.SUBMITTED, AS.IN_WRITTEN_REVIEW):
                    raise SelectionError(f"第 {r.row} 行「城市」：{app}状态为“{app.get_state_display()}”，尚未报送，不能评分")
                if app.state == AS.SUBMITTED:
                    _move(app, AS.IN_WRITTEN_REVIEW, user)
                cand.application = app
            cand.save()
            out.append(cand)
    return out


def make_shortlist(rnd: SelectionRound, user: Any) -> rules.Shortlist:
    """三、（二）: the defence list at 120% of places; the others are 未进入现场答辩."""
    _ministry(user)
    _stage(rnd, RoundStage.WRITTEN)
    cands = list(rnd.candidates.select_related("application"))
    if not cands:
        raise SelectionError("尚未录入书面评审得分")
    scored = [rules.ScoredCity(i, c.city, c.province, c.written_score) for i, c in enumerate(cands)]
    result = rules.shortlist(scored, rnd.places)
    inside = {c.city for c in result.cities}
    ranked = sorted(scored, key=lambda c: (-c.score, c.row))
    rank = {c.city: n for n, c in enumerate(ranked, start=1)}
    with transaction.atomic():
        for c in cands:
            c.rank = rank[c.city]
            c.status = CS.SHORTLISTED if c.city in inside else CS.NOT_SHORTLISTED
            c.save()
            _move(c.application, AS.SHORTLISTED if c.city in inside else AS.NOT_SHORTLISTED, user)
        rnd.stage = RoundStage.DEFENCE
        rnd.save()
    return result


def record_defence_score(cand: Candidate, value: object, user: Any) -> Candidate:
    _ministry(user)
    _stage(cand.round, RoundStage.DEFENCE)
    if cand.status != CS.SHORTLISTED:
        raise SelectionError(f"{cand}未进入现场答辩，不能录入答辩得分")
    try:
        score = rules.parse_score(value, row=0, field="现场答辩得分")
    except rules.RuleError as exc:
        raise SelectionError(str(exc).replace("第 0 行", f"{cand.city}")) from exc
    with transaction.atomic():
        cand.defence_score = score
        cand.save()
        if cand.application_id and cand.application.state == AS.SHORTLISTED:
            _move(cand.application, AS.DEFENDED, user)
    return cand


def select(rnd: SelectionRound, user: Any) -> list[Candidate]:
    """三、（四）: combined score = written × w + defence × (1 − w); the best ``places`` are 入围. Equal
    combined scores are ordered by the written score; a tie that still straddles the last place is refused."""
    _ministry(user)
    _stage(rnd, RoundStage.DEFENCE)
    shortlisted = list(rnd.candidates.filter(status=CS.SHORTLISTED).select_related("application"))
    missing = [c.city for c in shortlisted if c.defence_score is None]
    if missing:
        raise SelectionError(f"以下城市尚未录入现场答辩得分：{'、'.join(missing)}")
    for c in shortlisted:
        c.combined_score = rules.combined_score(c.written_score, c.defence_score, rnd.written_weight)
    ranked = sorted(shortlisted, key=lambda c: (-c.combined_score, -c.written_score))
    if len(ranked) > rnd.places:
        last, first_out = ranked[rnd.places - 1], ranked[rnd.places]
        if (last.combined_score, last.written_score) == (first_out.combined_score, first_out.written_score):
            raise SelectionError(f"第 {rnd.places} 名{last.city}与{first_out.city}综合得分和书面评审得分均相同，"
                                 f"名额不超过 {rnd.places} 个（{rules.PLACES_SOURCE}），请复核得分后再确定")
    with transaction.atomic():
        for n, c in enumerate(ranked):
            c.status = CS.SELECTED if n < rnd.places else CS.NOT_SELECTED
            c.save()
            _move(c.application, AS.SELECTED if n < rnd.places else AS.NOT_SELECTED, user)
        rnd.stage = RoundStage.SELECTED
        rnd.save()
    return ranked


def start_publicity(rnd: SelectionRound, publicity_end: dt.date | None, user: Any) -> None:
    _ministry(user)
    _stage(rnd, RoundStage.SELECTED)
    with transaction.atomic():
        rnd.stage, rnd.publicity_end = RoundStage.PUBLICITY, publicity_end
        rnd.save()
        for c in rnd.candidates.filter(status=CS.SELECTED).select_related("application"):
            c.status = CS.IN_PUBLICITY
            c.save()
            _move(c.application, AS.IN_PUBLICITY, user)


def _close_if_done(rnd: SelectionRound) -> None:
    if not rnd.candidates.filter(status=CS.IN_PUBLICITY).exists():
        rnd.stage = RoundStage.CLOSED
        rnd.save()


def confirm(cand: Candidate, user: Any) -> None:
    _ministry(user)
    _stage(cand.round, RoundStage.PUBLICITY)
    if cand.status != CS.IN_PUBLICITY:
        raise SelectionError(f"{cand}不在公示中，不能确定")
    with transaction.atomic():
        cand.status = CS.CONFIRMED
        cand.save()
        _move(cand.application, AS.CONFIRMED, user)
        _close_if_done(cand.round)


def disqualify(cand: Candidate, reason: str, user: Any) -> None:
    _ministry(user)
    if not reason.strip():
        raise SelectionError("取消资格须填写原因（三、（四）：存在违规行为并经查实的，取消资格）")
    if cand.status not in (CS.SELECTED, CS.IN_PUBLICITY, CS.CONFIRMED):
        raise SelectionError(f"{cand}未入围，无资格可取消")
    with transaction.atomic():
        cand.status, cand.reason = CS.DISQUALIFIED, reason.strip()[:500]
        cand.save()
        _move(cand.application, AS.DISQUALIFIED, user, note=reason)
        if cand.round.stage == RoundStage.PUBLICITY:
            _close_if_done(cand.round)


def defence_weight_text(rnd: SelectionRound) -> str:
    return f"书面评审 {rnd.written_weight * 100:.0f}% + 现场答辩 {(Decimal('1') - rnd.written_weight) * 100:.0f}%"
