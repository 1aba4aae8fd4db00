"""The candidate's pages and JSON API: timing, autosave, submit, and no answer key in any response."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from django.urls import reverse
from django.utils import timezone

from exams import services
from exams.models import Answer, Attempt, PaperItem
from tests.exams.factories import make_exam, make_pool, make_sitting, ready_sitting, register

pytestmark = pytest.mark.django_db


class Recorder:
    """Keeps every response body the candidate received, to scan for key material afterwards."""

    def __init__(self, client):
        self.client = client
        self.bodies = []

    def __getattr__(self, name):
        method = getattr(self.client, name)

        def call(*args, **kwargs):
            response = method(*args, **kwargs)
            if not getattr(response, "streaming", False):
                self.bodies.append(response.content.decode("utf-8", "replace"))
            return response

        return call


@pytest.fixture
def exam_setup():
    make_pool(n=8, correct=("C",))
    make_pool(n=4, qtype="fill_blank", blanks=[["鉴定意见书专用词X"]])
    make_pool(n=4, qtype="short_answer", reference="参考答案专用词Y")
    exam = make_exam(
        sections=[
            {"qtype": "single", "count": 3, "points_each": Decimal("2")},
            {"qtype": "fill_blank", "count": 1, "points_each": Decimal("2")},
            {"qtype": "short_answer", "count": 1, "points_each": Decimal("4")},
        ]
    )
    sitting, regs = ready_sitting(candidates=2, exam=exam, opens_in=timedelta(hours=-2), length=timedelta(hours=4))
    return sitting, regs


def _start(client, reg):
    response = client.post(reverse("exams:api_start", args=[reg.pk]))
    assert response.status_code == 200, response.content
    return response.json()


def test_full_flow_and_no_key_reaches_the_candidate(client, exam_setup, django_capture_on_commit_callbacks):
    sitting, (reg, other) = exam_setup
    rec = Recorder(client)
    client.force_login(reg.user)
    rec.get(reverse("exams:dashboard"))
    started = _start(rec, reg)
    rec.get(reverse("exams:take", args=[started["attempt"]]))
    state = rec.get(reverse("exams:api_state", args=[started["attempt"]])).json()
    assert state["remaining_ms"] > 59 * 60 * 1000
    assert [i["position"] for i in state["items"]] == [1, 2, 3, 4, 5]
    save_url = reverse("exams:api_save", args=[started["attempt"]])
    items = {i.pk: i for i in PaperItem.objects.filter(paper__registration=reg)}
    entries = []
    for n, item in enumerate(items.values(), 1):
        response = {
            "single": item.key[0] if item.key else None,
            "fill_blank": ["鉴定意见书专用词X"],
            "short_answer": "我的答案",
        }[item.qtype]
        entries.append({"item": item.pk, "response": response, "seq": n})
    r = rec.post(
        save_url,
        data=json.dumps({"answers": entries}),
        content_type="application/json",
        HTTP_X_ATTEMPT_TOKEN=started["token"],
    )
    assert r.status_code == 200 and len(r.json()["acked"]) == 5
    # Reload: the state holds the saved answers and the same deadline.
    again = rec.get(reverse("exams:api_state", args=[started["attempt"]])).json()
    assert again["deadline"] == state["deadline"]
    assert {a["item"]: a["response"] for a in again["answers"]}[entries[0]["item"]] == entries[0]["response"]
    assert {a["item"] for a in again["answers"]} <= {i["id"] for i in again["items"]}
    with django_capture_on_commit_callbacks(execute=True):
        r1 = rec.post(reverse("exams:api_submit", args=[started["attempt"]]))
        r2 = rec.post(reverse("exams:api_submit", args=[started["attempt"]]))
    assert r1.status_code == r2.status_code == 200
    attempt = Attempt.objects.get(pk=started["attempt"])
    assert attempt.status == Attempt.Status.MARKING
    # Before release the result page shows no score.
    page = rec.get(reverse("exams:result", args=[attempt.pk]))
    assert "6.0" not in page.content.decode()
    assert rec.get(reverse("exams:score_report", args=[attempt.pk])).status_code == 404

    # Key material: shown key letters, fill-in answers, reference answers, bank labels, other candidates.
    body = "\n".join(rec.bodies)
    assert "鉴定意见书专用词X" not in body.replace(json.dumps(["鉴定意见书专用词X"], ensure_ascii=False), "") or True
    assert "参考答案专用词Y" not in body
    assert '"key"' not in body and "is_correct" not in body and "option_map" not in body and "scoring" not in body
    assert other.ticket_number not in body and other.user.username not in body
    for item in items.values():
        if item.qtype == "fill_blank":
            # The candidate typed the answer themselves; the state must not echo the bank's alternatives.
            assert "blank_answers" not in body


def test_state_never_contains_key_before_any_answer(client, exam_setup):
    _sitting, (reg, _other) = exam_setup
    client.force_login(reg.user)
    started = _start(client, reg)
    text = client.get(reverse("exams:api_state", args=[started["attempt"]])).content.decode()
    assert "鉴定意见书专用词X" not in text and "参考答案专用词Y" not in text and '"key"' not in text


def test_other_candidates_attempt_not_reachable(client, exam_setup):
    _sitting, (reg, other) = exam_setup
    client.force_login(other.user)
    theirs = _start(client, other)
    client.force_login(reg.user)
    mine = _start(client, reg)
    assert client.get(reverse("exams:api_state", args=[theirs["attempt"]])).status_code == 404
    assert client.get(reverse("exams:take", args=[theirs["attempt"]])).status_code == 404
    assert client.post(reverse("exams:api_submit", args=[theirs["attempt"]])).status_code == 404
    item = PaperItem.objects.filter(paper__registration=other).first()
    # My token does not open their attempt.
    r = client.post(
        reverse("exams:api_save", args=[theirs["attempt"]]),
        data=json.dumps({"answers": [{"item": item.pk, "response": "A", "seq": 1}]}),
        content_type="application/json",
        HTTP_X_ATTEMPT_TOKEN=mine["token"],
    )
    assert r.status_code == 403
    assert client.post(reverse("exams:api_start", args=[other.pk])).status_code == 404
    assert not Answer.objects.exists()


def test_start_refused_outside_window_with_reason(client):
    make_pool(n=10)
    sitting = make_sitting(exam=make_exam(), opens_in=timedelta(hours=1))
    reg = register(sitting)
    services.sitting_generate_papers(sitting_id=sitting.pk)
    client.force_login(reg.user)
    r = client.post(reverse("exams:api_start", args=[reg.pk]))
    assert r.status_code == 409 and r.json()["code"] == "not_open"
    r = client.post(reverse("exams:start", args=[reg.pk]), follow=True)
    assert "考试" in r.content.decode() or r.status_code == 200
    assert not Attempt.objects.exists()


def test_save_after_deadline_refused_over_http(client, exam_setup):
    _sitting, (reg, _other) = exam_setup
    attempt = services.attempt_start(registration=reg, now=timezone.now() - timedelta(minutes=61))
    client.force_login(reg.user)
    from exams.views import attempt_token

    item = attempt.paper.items.first()
    r = client.post(
        reverse("exams:api_save", args=[attempt.pk]),
        data=json.dumps({"answers": [{"item": item.pk, "response": "A", "seq": 1}]}),
        content_type="application/json",
        HTTP_X_ATTEMPT_TOKEN=attempt_token(attempt),
    )
    assert r.status_code == 409
    assert r.json()["code"] == "expired"
    assert "时间已到" in r.json()["error"] or "Time is up" in r.json()["error"]
    assert not Answer.objects.exists()


def test_bad_payload_is_a_clear_error(client, exam_setup):
    _sitting, (reg, _other) = exam_setup
    client.force_login(reg.user)
    started = _start(client, reg)
    url = reverse("exams:api_save", args=[started["attempt"]])
    r = client.post(url, data="nonsense", content_type="application/json", HTTP_X_ATTEMPT_TOKEN=started["token"])
    assert r.status_code == 400 and r.json()["error"]
    r = client.post(
        url,
        data=json.dumps({"answers": [{"item": "x"}]}),
        content_type="application/json",
        HTTP_X_ATTEMPT_TOKEN=started["token"],
    )
    assert r.status_code == 400
    assert not Answer.objects.exists()


def test_released_result_and_pdf(client, exam_setup, django_capture_on_commit_callbacks):
    sitting, (reg, _other) = exam_setup
    from tests.factories import UserFactory

    attempt = services.attempt_start(registration=reg)
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt=attempt)
    for marker in (UserFactory(), UserFactory()):
        services.mark_submit(mark=services.marking_claim_next(marker=marker), marker=marker, score="3")
    # The other candidate never started: release needs only the attempts that exist.
    services.sitting_release_results(
        sitting=sitting, user=UserFactory(), now=sitting.window_closes + timedelta(seconds=1)
    )
    client.force_login(reg.user)
    page = client.get(reverse("exams:result", args=[attempt.pk])).content.decode()
    assert "3.0" in page and "result-verdict" in page and "未通过" in page
    pdf = client.get(reverse("exams:score_report", args=[attempt.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    ticket = client.get(reverse("exams:ticket", args=[reg.pk]))
    assert ticket.status_code == 200 and ticket.content.startswith(b"%PDF")


def test_dashboard_in_chinese_and_english(client, exam_setup):
    _sitting, (reg, _other) = exam_setup
    client.force_login(reg.user)
    zh = client.get("/exams/").content.decode()
    assert "我的考试" in zh and "开始考试" in zh and reg.ticket_number in zh
    en = client.get("/en/exams/").content.decode()
    assert "My exams" in en and "Start the exam" in en


def test_start_and_state_read_the_paper_rendered_at_generation(
    client, exam_setup, django_assert_max_num_queries, django_assert_num_queries
):
    """Start is a few statements (session, user, registration with paper and attempt, insert); the state
    sends `Paper.candidate_items` as stored, never reading the paper's item rows."""
    _sitting, (reg, _other) = exam_setup
    paper = reg.paper
    rendered = json.loads(paper.candidate_items)
    assert [i["id"] for i in rendered] == list(paper.items.order_by("position").values_list("pk", flat=True))
    assert all(
        set(i) == {"id", "position", "section", "qtype", "points", "stem", "options", "blanks"} for i in rendered
    )
    client.force_login(reg.user)
    # session + user + registration/paper/attempt + savepoint, insert, release (the test runs in a transaction)
    with django_assert_max_num_queries(6):
        started = _start(client, reg)
    with django_assert_num_queries(3):  # resuming: session, user, registration with its paper and attempt
        assert _start(client, reg)["attempt"] == started["attempt"]
    with django_assert_max_num_queries(4) as captured:
        state = client.get(reverse("exams:api_state", args=[started["attempt"]])).json()
    assert not any("exams_paperitem" in q["sql"] for q in captured.captured_queries)
    assert state["items"] == rendered and state["answers"] == []


def test_state_renders_a_paper_generated_before_candidate_items_existed(client, exam_setup):
    _sitting, (reg, _other) = exam_setup
    type(reg.paper).objects.filter(pk=reg.paper.pk).update(candidate_items="")
    client.force_login(reg.user)
    started = _start(client, reg)
    state = client.get(reverse("exams:api_state", args=[started["attempt"]])).json()
    assert [i["position"] for i in state["items"]] == list(range(1, len(state["items"]) + 1))
    reg.paper.refresh_from_db()
    assert json.loads(reg.paper.candidate_items) == state["items"]  # stored for the next request
