"""Admin dashboard panels: what each role would rather look at than read.

Regulators and exam administrators see recent sittings with their pass rates; bank roles and
regulators see the bank's size by practice category. Counts only: no question content, no names.
"""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from wagtail.admin.ui.components import Component


def sitting_results_summary(*, limit: int = 8) -> list[dict]:
    """Recent sittings with registrations, graded attempts and pass rate, in one query."""
    from exams.models import Sitting

    rows = (
        Sitting.objects.select_related("exam")
        .annotate(
            n_registered=Count("registrations", distinct=True),
            n_graded=Count(
                "registrations__paper__attempt", filter=Q(registrations__paper__attempt__passed__isnull=False)
            ),
            n_passed=Count("registrations__paper__attempt", filter=Q(registrations__paper__attempt__passed=True)),
        )
        .order_by("-window_opens")[:limit]
    )
    summary = []
    for sitting in rows:
        rate = round(100 * sitting.n_passed / sitting.n_graded) if sitting.n_graded else None
        summary.append(
            {
                "sitting": sitting,
                "registered": sitting.n_registered,
                "graded": sitting.n_graded,
                "passed": sitting.n_passed,
                "pass_rate": rate,
            }
        )
    return summary


def bank_size_summary() -> list[dict]:
    from question_bank.selectors import bank_statistics

    rows = bank_statistics()["by_category"]
    largest = max((row["total"] for row in rows), default=0) or 1
    return [
        {
            "name": row["category__name"],
            "total": row["total"],
            "live": row["n_live"],
            "live_pct": round(100 * row["n_live"] / largest),
            "other_pct": round(100 * (row["total"] - row["n_live"]) / largest),
        }
        for row in rows
    ]


class RoleSummaryPanel(Component):
    name = "academy_role_summary"
    order = 50
    template_name = "home/admin/role_summary_panel.html"

    def __init__(self, *, user):
        self.user = user

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        if self.user.has_perm("exams.view_exam_statistics"):
            context["sittings"] = sitting_results_summary()
        if self.user.has_perm("question_bank.view_question_statistics") or self.user.has_perm(
            "question_bank.view_question"
        ):
            context["bank"] = bank_size_summary()
        context["title"] = _("Overview")
        return context

    def render_html(self, parent_context=None):
        context = self.get_context_data(parent_context)
        if not context.get("sittings") and not context.get("bank"):
            return ""
        return super().render_html(parent_context)
