"""Who sees question content, keys, statistics and exports."""

import pytest

from django.core.exceptions import PermissionDenied
from django.urls import reverse

from question_bank.exporting import export_questions
from question_bank.models import Question, QuestionExportLog

from .conftest import run_import, template_csv

pytestmark = pytest.mark.django_db

LIST_URL = "wagtailsnippets_question_bank_question:list"


@pytest.fixture
def bank(db):
    assert run_import(template_csv()).ok
    return Question.objects.get(code="FYLC-000001")


@pytest.mark.parametrize(
    ("role", "content", "stats", "keys"),
    [
        ("editor", True, True, False),
        ("reviewer", True, True, True),
        ("regulator", False, True, False),
        ("examadmin", False, True, False),
        ("marker", False, False, False),
        ("appraiser", False, False, False),
    ],
)
def test_permission_matrix(client, role_users, bank, role, content, stats, keys):
    user = role_users[role]
    client.force_login(user)
    listing = client.get(reverse(LIST_URL))
    edit = client.get(reverse("wagtailsnippets_question_bank_question:edit", args=[bank.pk]))
    statistics = client.get(reverse("question_bank_admin:statistics"))
    export = client.post(reverse("question_bank_admin:export"), {"format": "csv", "with_keys": ""})
    if role == "appraiser":  # no admin access at all
        assert listing.status_code == 302 and statistics.status_code == 302
        return
    assert (listing.status_code == 200) is content
    assert (edit.status_code == 200) is content
    if content:
        assert "FYLC-000001" in listing.content.decode()
        assert "4处" in edit.content.decode()  # option text: content is visible to bank roles
    assert (statistics.status_code == 200) is stats
    if stats:
        body = statistics.content.decode()
        assert "法医临床" in body and "肋骨骨折" not in body  # counts, never content
    assert (export.status_code == 200) is content
    with_keys = client.post(reverse("question_bank_admin:export"), {"format": "csv", "with_keys": "on"})
    if keys:
        assert with_keys.status_code == 200 and b"C" in with_keys.content
        log = QuestionExportLog.objects.filter(user=user, with_answer_keys=True).get()
        assert log.count == 6 and log.format == "csv"
    else:
        body = with_keys.content.decode("utf-8-sig", errors="ignore") if with_keys.status_code == 200 else ""
        assert not QuestionExportLog.objects.filter(user=user, with_answer_keys=True).exists()
        assert "见标准" not in body  # the explanation (a key field) never leaves without the permission


def test_export_service_refuses_keys_without_permission(role_users, bank):
    with pytest.raises(PermissionDenied):
        export_questions(queryset=Question.objects.all(), fmt="xlsx", user=role_users["editor"], with_keys=True)
    with pytest.raises(PermissionDenied):
        export_questions(queryset=Question.objects.all(), fmt="csv", user=role_users["regulator"], with_keys=False)
    assert not QuestionExportLog.objects.exists()
    content = export_questions(
        queryset=Question.objects.all(), fmt="moodlexml", user=role_users["reviewer"], with_keys=True
    )
    assert b"<quiz>" in content and b'fraction="100"' in content
    log = QuestionExportLog.objects.get()
    assert (log.user, log.format, log.with_answer_keys, log.count) == (role_users["reviewer"], "moodlexml", True, 6)
