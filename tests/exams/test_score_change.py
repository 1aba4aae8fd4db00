"""The sitting page's score change: the answer is chosen by admission ticket and question number, with a reason."""

from decimal import Decimal

import pytest

from django.urls import reverse
from django.utils import translation

from exams import services
from exams.models import Answer, Attempt, ScoreAuditLog
from tests.exams.factories import make_exam, make_pool, ready_sitting

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(django_capture_on_commit_callbacks):
    make_pool(n=10)
    sitting, (reg, _other) = ready_sitting(
        candidates=2, exam=make_exam(sections=[{"qtype": "single", "count": 4, "points_each": Decimal("2")}])
    )
    attempt = services.attempt_start(registration=reg)
    first = attempt.paper.items.get(position=1)
    services.answers_save(attempt_id=attempt.pk, entries=[{"item": first.pk, "response": first.key[0], "seq": 1}])
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt=attempt)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED and attempt.score == Decimal("2.0")
    return sitting, reg, attempt


def post(client, sitting, **data):
    with translation.override("zh-hans"):
        return client.post(
            reverse("exams_sittings:report", args=[sitting.pk]),
            {"action": "rescore", **data},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )


def test_score_changed_by_ticket_and_question_number_and_audited(client, role_users, graded):
    sitting, reg, attempt = graded
    client.force_login(role_users["examadmin"])
    response = post(
        client, sitting, ticket_number=reg.ticket_number, position="1", score="0.5", reason="复核：识别错误"
    )
    assert response.status_code == 302
    answer = Answer.objects.get(attempt=attempt, item__position=1)
    assert answer.score == Decimal("0.5")
    log = ScoreAuditLog.objects.get(action=ScoreAuditLog.Action.REMARK)
    assert log.answer_id == answer.pk and log.reason == "复核：识别错误" and log.user == role_users["examadmin"]
    assert log.before == {"score": "2.0"} and log.after == {"score": "0.5"}
    attempt.refresh_from_db()
    assert attempt.score == Decimal("0.5")  # the total follows


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reason": "   "}, "reason", "原因"),
        ({"reason": ""}, "reason", "原因"),
        ({"ticket_number": "NO-SUCH"}, "ticket_number", "准考证号"),
        ({"position": "99"}, "position", "1 到 4"),
        ({"score": "3"}, "score", "0 到 2.0"),
        ({"score": "1.3"}, "score", "0.5"),
        ({"score": "abc"}, "score", "数"),
    ],
)
def test_invalid_change_is_refused_with_a_clear_error_and_changes_nothing(
    client, role_users, graded, data, field, message
):
    sitting, reg, attempt = graded
    client.force_login(role_users["examadmin"])
    values = {"ticket_number": reg.ticket_number, "position": "1", "score": "1", "reason": "复核", **data}
    response = post(client, sitting, **values)
    assert response.status_code == 400
    form = response.context["score_form"]
    assert field in form.errors and message in " ".join(form.errors[field])
    assert Answer.objects.get(attempt=attempt, item__position=1).score == Decimal("2.0")
    assert not ScoreAuditLog.objects.filter(action=ScoreAuditLog.Action.REMARK).exists()


def test_ungraded_attempt_cannot_be_changed(client, role_users, graded):
    sitting, _reg, _attempt = graded
    other = sitting.registrations.exclude(paper__attempt__isnull=False).get()
    services.attempt_start(registration=other)
    client.force_login(role_users["examadmin"])
    response = post(client, sitting, ticket_number=other.ticket_number, position="1", score="1", reason="复核")
    assert response.status_code == 400
    assert "ticket_number" in response.context["score_form"].errors


def test_score_change_needs_the_permission(client, role_users, graded):
    sitting, reg, attempt = graded
    client.force_login(role_users["regulator"])
    response = post(client, sitting, ticket_number=reg.ticket_number, position="1", score="0", reason="x")
    # Wagtail turns PermissionDenied into a redirect to the dashboard with a message.
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    assert Answer.objects.get(attempt=attempt, item__position=1).score == Decimal("2.0")


def test_service_refuses_scores_off_the_half_point_grid(graded):
    from django.core.exceptions import ValidationError

    _sitting, _reg, attempt = graded
    answer = Answer.objects.get(attempt=attempt, item__position=1)
    with pytest.raises(ValidationError):
        services.answer_change_score(answer=answer, user=None, score="1.3", reason="复核")
    answer.refresh_from_db()
    assert answer.score == Decimal("2.0") and not ScoreAuditLog.objects.filter(action="remark").exists()
