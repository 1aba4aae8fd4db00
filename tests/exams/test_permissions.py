"""Who may do what: the permission matrix of the exam admin screens and the candidate pages."""

from decimal import Decimal

import pytest

from django.urls import reverse

from exams import services
from exams.models import Attempt
from tests.exams.factories import make_exam, make_pool, ready_sitting

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded_sitting(django_capture_on_commit_callbacks):
    make_pool(n=6)
    make_pool(n=3, qtype="short_answer")
    exam = make_exam(
        sections=[
            {"qtype": "single", "count": 2, "points_each": Decimal("5")},
            {"qtype": "short_answer", "count": 1, "points_each": Decimal("10")},
        ]
    )
    sitting, (reg,) = ready_sitting(candidates=1, exam=exam)
    attempt = services.attempt_start(registration=reg)
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt=attempt)
    return sitting, attempt


ADMIN_PAGES = {
    "exam_list": lambda s: reverse("wagtailsnippets_exams_exam:list"),
    "sitting_list": lambda s: reverse("wagtailsnippets_exams_sitting:list"),
    "sitting_add": lambda s: reverse("wagtailsnippets_exams_sitting:add"),
    "registration_add": lambda s: reverse("wagtailsnippets_exams_registration:add"),
    "policy_list": lambda s: reverse("wagtailsnippets_exams_exampolicy:list"),
    "audit_list": lambda s: reverse("wagtailsnippets_exams_scoreauditlog:list"),
    "report": lambda s: reverse("exams_sittings:report", args=[s.pk]),
    "marking": lambda s: reverse("exams_marking:index"),
    "mark_next": lambda s: reverse("exams_marking:next", args=[s.pk]),
}

# role -> pages it may open (200 or a redirect inside the feature); all others must be refused.
ALLOWED = {
    "appraiser": set(),
    "editor": set(),
    "reviewer": set(),
    "examadmin": {
        "exam_list",
        "sitting_list",
        "sitting_add",
        "registration_add",
        "policy_list",
        "audit_list",
        "report",
    },
    "marker": {"marking", "mark_next"},
    "regulator": {"exam_list", "sitting_list", "policy_list", "audit_list", "report"},
}


@pytest.mark.parametrize("role", list(ALLOWED))
def test_admin_permission_matrix(client, role_users, graded_sitting, role):
    sitting, _attempt = graded_sitting
    client.force_login(role_users[role])
    for page, url in ADMIN_PAGES.items():
        response = client.get(url(sitting))
        if page in ALLOWED[role]:
            assert response.status_code in (200, 302), (role, page, response.status_code)
            if response.status_code == 302:
                assert "/login" not in response["Location"], (role, page)
        else:
            refused = response.status_code in (302, 403, 404) and (
                response.status_code != 302
                or "login" in response["Location"]
                or response["Location"].rstrip("/").endswith("/admin")
            )
            assert refused, (role, page, response.status_code, response.get("Location"))


def test_marker_sees_answer_not_candidate(client, role_users, graded_sitting):
    sitting, attempt = graded_sitting
    client.force_login(role_users["marker"])
    page = client.get(reverse("exams_marking:next", args=[sitting.pk])).content.decode()
    candidate = attempt.paper.registration
    assert "参考答案" in page  # the reference answer is shown to markers
    assert candidate.user.real_name not in page and candidate.ticket_number not in page
    assert candidate.user.username not in page


def test_only_examadmin_releases(client, role_users, graded_sitting):
    sitting, attempt = graded_sitting
    url = reverse("exams_sittings:report", args=[sitting.pk])
    for role in ("regulator", "marker", "appraiser"):
        client.force_login(role_users[role])
        r = client.post(url, {"action": "release"})
        assert r.status_code in (302, 403)
    sitting.refresh_from_db()
    assert not sitting.results_released
    assert Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.MARKING


def test_marking_through_admin_with_two_markers(client, role_users, graded_sitting):
    from tests.factories import UserFactory

    sitting, attempt = graded_sitting
    second = UserFactory(roles=[__import__("academy.accounts.roles", fromlist=["MARKER"]).MARKER])
    for marker, score in ((role_users["marker"], "6"), (second, "7")):
        client.force_login(marker)
        page = client.get(reverse("exams_marking:next", args=[sitting.pk]))
        mark_id = page.context["mark"].pk
        r = client.post(
            reverse("exams_marking:next", args=[sitting.pk]), {"mark": mark_id, "score": score, "comment": "要点齐全"}
        )
        assert r.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED


def test_candidate_pages_need_login(client, graded_sitting):
    _sitting, attempt = graded_sitting
    for url in (
        reverse("exams:dashboard"),
        reverse("exams:take", args=[attempt.pk]),
        reverse("exams:result", args=[attempt.pk]),
    ):
        r = client.get(url)
        assert r.status_code == 302 and "login" in r["Location"]
    assert client.get(reverse("exams:api_state", args=[attempt.pk])).status_code == 401


def test_audit_log_cannot_be_edited_even_by_superuser(client, graded_sitting):
    from exams.models import ScoreAuditLog
    from tests.factories import UserFactory

    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    entry = ScoreAuditLog.objects.first()
    assert client.get(reverse("wagtailsnippets_exams_scoreauditlog:list")).status_code == 200
    assert client.get(reverse("wagtailsnippets_exams_scoreauditlog:edit", args=[entry.pk])).status_code in (302, 403)
    assert client.get(reverse("wagtailsnippets_exams_scoreauditlog:delete", args=[entry.pk])).status_code in (302, 403)
