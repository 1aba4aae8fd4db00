"""Demo exams for seed_demo: an exam with a blueprint, an open sitting with the demo appraiser
registered, and a finished sitting with graded, marked and released results and statistics.

Idempotent: nothing happens when the demo exam exists. Runs after question_bank's demo; when the
bank has too few approved questions for the blueprint, it adds (and approves) its own.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from academy.accounts.models import AppraiserProfile
from academy.categories.models import PracticeCategory
from question_bank.models import Question, QuestionOption, ScoringPoint

from . import item_analysis, services
from .models import Attempt, BlueprintSection, Exam, ExamPolicy, Registration, Sitting

DEMO_TITLE = "法医临床岗前考试（演示）"
SECTIONS = [
    ("单选题", "single", 8, Decimal("5")),
    ("判断题", "true_false", 4, Decimal("5")),
    ("填空题", "fill_blank", 2, Decimal("5")),
    ("简答题", "short_answer", 1, Decimal("10")),
]


def _top_up(category, qtype: str, needed: int) -> None:
    """Add approved demo questions of a type until the category has `needed` of them."""
    have = Question.objects.filter(category=category, qtype=qtype, live=True, live_revision__isnull=False).count()
    for n in range(have, needed):
        difficulty = 1 + n % 5
        question = Question(
            code=f"DEMO-EX-{qtype[:2].upper()}{n:03d}",
            category=category,
            qtype=qtype,
            difficulty=difficulty,
            stem=f"<p>演示题（{qtype}）{n + 1}：关于损伤程度鉴定，下列说法哪项正确？</p>",
            true_false_answer=(n % 2 == 0) if qtype == "true_false" else None,
            blank_answers=[["原发性损伤", "原发损伤"]] if qtype == "fill_blank" else [],
            reference_answer="应以原发性损伤及其直接后果为依据，结合伤情稳定后的检查。"
            if qtype == "short_answer"
            else "",
        )
        if qtype in {"single", "multiple"}:
            question.options = [
                QuestionOption(label=label, text=f"选项{label}（{n + 1}）", is_correct=label == "B") for label in "ABCD"
            ]
        if qtype == "short_answer":
            question.scoring_points = [
                ScoringPoint(text="以原发性损伤为依据", points=Decimal("5")),
                ScoringPoint(text="伤情稳定后鉴定", points=Decimal("5")),
            ]
        if Question.objects.filter(code=question.code).exists():
            continue
        question.full_clean()
        question.save()
        question.save_revision().publish()


def _candidate(username: str, real_name: str, category) -> object:
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"real_name": real_name})
    if created:
        user.set_unusable_password()
        user.save()
    profile, _ = AppraiserProfile.objects.get_or_create(user=user, defaults={"institution": "示例司法鉴定中心"})
    profile.categories_sought.add(category)
    return user


def _register(sitting, user):
    registration, _ = Registration.objects.get_or_create(
        sitting=sitting,
        user=user,
        defaults={"ticket_number": f"{timezone.localtime(sitting.window_opens):%Y%m%d}{sitting.pk:04d}{user.pk:06d}"},
    )
    return registration


def seed(*, stdout) -> None:
    if Exam.objects.filter(title=DEMO_TITLE).exists():
        stdout.write("Demo exams already present.")
        return
    User = get_user_model()
    category = PracticeCategory.objects.get(code="FYLC")
    for _title, qtype, count, _points in SECTIONS:
        _top_up(category, qtype, count * 3)
    policy, _ = ExamPolicy.objects.get_or_create(
        name="北京（70%合格，不合格6个月后可再考）",
        defaults={"pass_percent": Decimal("70"), "retake_wait_days": 183, "pass_valid_days": 365},
    )
    exam = Exam.objects.create(
        title=DEMO_TITLE,
        kind="pre_employment",
        policy=policy,
        duration_minutes=60,
        allow_self_registration=True,
        instructions="请独立完成。答案自动保存；断网后重新连接会自动补发。",
    )
    exam.categories.set([category])
    exam.save()  # a ParentalManyToManyField is written on save
    for i, (title, qtype, count, points) in enumerate(SECTIONS):
        section = BlueprintSection.objects.create(
            exam=exam, sort_order=i, title=title, qtype=qtype, count=count, points_each=points
        )
        section.categories.set([category])
        section.categories.commit()  # a child row's ParentalManyToManyField is written on commit
    try:
        services.exam_check_blueprint(exam=exam)
    except ValidationError as exc:
        stdout.write("Demo exam blueprint cannot be served: " + "; ".join(exc.messages))
        raise

    now = timezone.now()
    appraiser = User.objects.filter(username="appraiser").first()
    open_sitting = Sitting.objects.create(
        exam=exam,
        name="演示场次（进行中）",
        location="线上",
        window_opens=now - timedelta(hours=1),
        window_closes=now + timedelta(days=7),
        registration_deadline=now - timedelta(hours=1, minutes=1),
        capacity=200,
    )
    finished = Sitting.objects.create(
        exam=exam,
        name="演示场次（已结束）",
        location="北京市司法局考场",
        window_opens=now - timedelta(days=10),
        window_closes=now - timedelta(days=10) + timedelta(hours=3),
        registration_deadline=now - timedelta(days=11),
        capacity=200,
    )
    if appraiser is not None:
        _register(open_sitting, appraiser)
        _register(finished, appraiser)
    candidates = [_candidate(f"demo-candidate-{i:02d}", f"演示考生{i:02d}", category) for i in range(1, 13)]
    for user in candidates:
        _register(finished, user)
    services.sitting_generate_papers(sitting_id=open_sitting.pk)
    services.sitting_generate_papers(sitting_id=finished.pk)

    # The finished sitting: everyone answered (ability varies), submitted, graded, marked, released.
    rng = random.Random(2026)
    start = finished.window_opens + timedelta(minutes=5)
    for registration in finished.registrations.select_related("paper").order_by("pk"):
        ability = 0.95 if registration.user.username == "appraiser" else rng.uniform(0.35, 0.95)
        attempt = services.attempt_start(registration=registration, now=start)
        entries = []
        for seq, item in enumerate(registration.paper.items.order_by("position"), 1):
            right = rng.random() < ability
            if item.qtype == "single":
                wrong = [o["label"] for o in item.content["options"] if o["label"] not in item.key]
                response = item.key[0] if right else rng.choice(wrong)
            elif item.qtype == "true_false":
                response = item.key if right else not item.key
            elif item.qtype == "fill_blank":
                response = [alts[0] for alts in item.key] if right else ["不知道"]
            else:
                response = "应以原发性损伤及其直接后果为依据，伤情稳定后鉴定。" if right else "按伤者主诉评定。"
            entries.append({"item": item.pk, "response": response, "seq": seq})
        services.answers_save(attempt_id=attempt.pk, entries=entries, now=start + timedelta(minutes=30))
        services.attempt_submit(attempt=attempt, now=start + timedelta(minutes=40))
        services.attempt_grade(attempt_id=attempt.pk)

    markers = list(User.objects.filter(username__in=["marker", "examadmin"]).order_by("username"))
    if len(markers) == 2:
        for marker in markers:
            while (mark := services.marking_claim_next(marker=marker, sitting=finished)) is not None:
                good = "原发性损伤" in str(mark.answer.response)
                services.mark_submit(mark=mark, marker=marker, score=rng.choice(["8", "9", "10"]) if good else "3")
        examadmin = next(u for u in markers if u.username == "examadmin")
        if (
            not Attempt.objects.filter(paper__registration__sitting=finished)
            .exclude(status=Attempt.Status.GRADED)
            .exists()
        ):
            services.sitting_release_results(sitting=finished, user=examadmin, now=now)
    item_analysis.sitting_compute_statistics(sitting_id=finished.pk)
    stdout.write(
        f"Demo exams: “{exam.title}” with an open sitting (appraiser registered) and a finished, released sitting "
        f"({finished.registrations.count()} candidates)."
    )
