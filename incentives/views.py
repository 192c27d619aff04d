"""The dashboard, leaderboards and their CSV exports. Views only call selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from incentives import charts, exports
from incentives.leaderboards import BOARDS, flow_matrix, leaderboard, standing, trend
from incentives.periods import KINDS, Period, PeriodError, period_from_params, period_of
from incentives.visibility import Scope, scope_for, team_choices, team_filter

PAGE = 50
TOP = 10


def _period(request) -> tuple[Period, str | None]:
    try:
        return period_from_params(request.GET), None
    except PeriodError as exc:
        from django.utils import timezone

        return period_of("quarter", timezone.localdate()), str(exc)


def _period_query(period: Period) -> str:
    if period.kind == "custom":
        return f"since={period.start}&until={period.end}"
    return f"period={period.kind}&date={period.start}"


def _query(period: Period, team) -> str:
    return _period_query(period) + (f"&team={team.pk}" if team is not None else "")


def _depth(request) -> int | None:
    value = request.GET.get("depth", "")
    return int(value) if value.isdigit() and 0 < int(value) < 10 else None


def _check_board(scope: Scope, by: str) -> None:
    if by not in BOARDS:
        raise Http404(_("No such leaderboard."))
    allowed = scope.people_board if by == "person" else scope.totals
    if not allowed:
        raise PermissionDenied(
            _("Individual ranks are not shown to you.")
            if by == "person"
            else _("Team and project totals are for managers.")
        )


def _board(scope: Scope, by: str, period: Period, team_ids=None, **kwargs):
    """`team_ids`: the team picked on the page (with its sub-teams), already within scope."""
    if team_ids is None:
        team_ids = scope.board_team_ids if by == "person" else None
    return leaderboard(by=by, period=period, team_ids=team_ids, **kwargs)


def _team(request, scope: Scope) -> dict:
    """The page's team filter: the picked team, its ids, and the choices for the form."""
    team, ids = team_filter(scope, request.GET.get("team", ""))
    return {"team": team, "team_ids": ids, "teams": team_choices(scope)}


class DashboardView(LoginRequiredMixin, View):
    template_name = "incentives/dashboard.html"

    def get(self, request):
        scope = scope_for(request.user)
        period, error = _period(request)
        if error:
            messages.error(request, error)
        depth = _depth(request)
        picked = _team(request, scope)
        ids = picked["team_ids"]
        ctx = {
            **picked,
            "period": period,
            "previous": period.previous(),
            "kinds": KINDS[:-1],
            "query": _query(period, picked["team"]),
            "scope": scope,
            "depth": depth,
            "standing": standing(person=scope.person, period=period) if scope.person else None,
            "boards": [],
        }
        if scope.totals:
            ctx["boards"] += [
                ("team", _board(scope, "team", period, ids, limit=TOP)),
                ("project", _board(scope, "project", period, ids, limit=TOP)),
            ]
            flow = flow_matrix(period=period, depth=depth)
            ctx["heatmap"] = charts.heatmap(flow)
            ctx["trend"] = charts.trend_chart(trend(period=period))
        if scope.people_board:
            ctx["boards"].insert(0, ("person", _board(scope, "person", period, ids, limit=TOP)))
        return render(request, self.template_name, ctx)


class LeaderboardView(LoginRequiredMixin, View):
    template_name = "incentives/leaderboard.html"

    def get(self, request, by: str):
        scope = scope_for(request.user)
        _check_board(scope, by)
        period, error = _period(request)
        if error:
            if request.GET.get("format") == "csv":
                raise Http404(error)
            messages.error(request, error)
        picked = _team(request, scope)
        ids = picked["team_ids"]
        if request.GET.get("format") == "csv":
            return exports.board_csv(_board(scope, by, period, ids))
        page_no = request.GET.get("page", "1")
        page_no = int(page_no) if page_no.isdigit() and int(page_no) > 0 else 1
        board = _board(scope, by, period, ids, limit=PAGE, offset=(page_no - 1) * PAGE)
        pages = Paginator(range(board.total), PAGE)
        ctx = {
            **picked,
            "by": by,
            "board": board,
            "period": period,
            "kinds": KINDS[:-1],
            "query": _query(period, picked["team"]),
            "page": pages.get_page(page_no),
            "scope": scope,
        }
        return render(request, self.template_name, ctx)


class FlowCsvView(LoginRequiredMixin, View):
    def get(self, request):
        scope = scope_for(request.user)
        if not scope.totals:
            raise PermissionDenied(_("Team totals are for managers."))
        period, error = _period(request)
        if error:
            raise Http404(error)
        return exports.flow_csv(flow_matrix(period=period, depth=_depth(request)), period)


class TrendCsvView(LoginRequiredMixin, View):
    def get(self, request):
        scope = scope_for(request.user)
        if not scope.totals:
            raise PermissionDenied(_("Team totals are for managers."))
        period, error = _period(request)
        if error:
            raise Http404(error)
        return exports.trend_csv(trend(period=period), period)
