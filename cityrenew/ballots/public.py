"""The public voting pages (/public/vote/, no login): the votes, casting a ballot with a one-time code,
changing it with the receipt code until close, and the result after close (aggregate only: the ballot
list names owners and stays on the staff pages).

Failed code attempts are counted per client address (``FAILED_LIMIT`` in ``FAILED_WINDOW`` seconds) so
codes cannot be guessed by trying; the codes' entropy (~59 bits) is the real defence.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from . import services
from .choices import ELEVATOR_RULE, ELEVATOR_THRESHOLDS, Matter
from .forms import ChangeBallotForm, PublicBallotForm
from .models import Vote

FAILED_LIMIT = 30
FAILED_WINDOW = 600  # seconds
PAST_DAYS = 365  # closed votes stay listed this long


def _client(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _too_many(request: HttpRequest) -> bool:
    return cache.get(f"ballots:fail:{_client(request)}", 0) >= FAILED_LIMIT


def _failed(request: HttpRequest) -> None:
    key = f"ballots:fail:{_client(request)}"
    cache.add(key, 0, FAILED_WINDOW)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, FAILED_WINDOW)


@never_cache
def vote_index(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    votes = (Vote.objects.select_related("plan", "plan__district").defer("plan__district__boundary")
             .filter(closes_at__gte=now - timezone.timedelta(days=PAST_DAYS)).order_by("-opens_at"))
    return render(request, "public/vote/index.html", {"votes": votes, "now": now})


@never_cache
def vote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":  # casting needs the vote alone; the page's plan details only for a re-shown form
        vote = get_object_or_404(Vote, pk=pk)
    else:
        vote = get_object_or_404(Vote.objects.select_related("plan", "plan__district", "plan__entity")
                                 .defer("plan__district__boundary"), pk=pk)
    ctx = {"vote": vote, "form": PublicBallotForm(), "change_form": ChangeBallotForm(), "error": "",
           "elevator": vote.matter == Matter.ELEVATOR, "elevator_rule": ELEVATOR_RULE,
           "elevator_thresholds": ELEVATOR_THRESHOLDS}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        form_cls = ChangeBallotForm if action == "change" else PublicBallotForm
        form = form_cls(request.POST)
        ctx["change_form" if action == "change" else "form"] = form
        if action == "verify" and not _too_many(request):
            try:
                ctx["verified"], ctx["verified_units"] = services.verify(vote, request.POST.get("receipt", ""))
            except services.VoteError as exc:
                _failed(request)
                ctx["error"], status = str(exc), 400
        elif _too_many(request):
            ctx["error"], status = "尝试次数过多，请10分钟后再试", 429
        elif not form.is_valid():
            ctx["error"], status = "请填写表决码（或回执码）并选择表决意见", 400
        else:
            d = form.cleaned_data
            try:
                if action == "change":
                    ballot, receipt, units = services.change(vote, d["receipt"], d["choice"])
                else:
                    ballot, receipt, units = services.cast(vote, d["code"], d["choice"])
            except services.VoteError as exc:
                _failed(request)
                ctx["error"], status = str(exc), 400
            else:
                return render(request, "public/vote/receipt.html",
                              {"vote": vote, "ballot": ballot, "receipt": receipt, "units": units,
                               "changed": action == "change"})
    if vote.is_closed():
        try:
            ctx["vote_result"] = services.finalize(vote).result
        except services.VoteError as exc:
            ctx["tally_error"] = str(exc)
    return render(request, "public/vote/detail.html", ctx, status=status)
