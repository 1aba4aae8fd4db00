"""Business rules of exams: registration, paper generation, the attempt clock, saving, grading,
marking, release and score changes. Every score change writes a ScoreAuditLog row.
"""

import json
import random
import unicodedata
from contextlib import nullcontext
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from question_bank.models import QuestionType
from question_bank.selectors import drawable_questions

from .models import (
    BANK_KIND,
    Answer,
    Attempt,
    Exam,
    Mark,
    Paper,
    PaperItem,
    Registration,
    ScoreAuditLog,
    Sitting,
)
from .papers import draw_paper, section_compositions, section_feasibility, seed_for, shuffle_options

ZERO = Decimal("0")


class AttemptClosed(Exception):  # noqa: N818 - a refusal, not a programming error
    """An answer or action arrived when the attempt no longer takes it; `reason` is translated."""

    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.reason = reason
        self.code = code


def _q(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- Registration ------------------------------------------------------------------------------


def registration_refusal(*, sitting: Sitting, user, now=None) -> str | None:
    """Why `user` may not be registered on `sitting` (translated), or None when eligible.

    Rules: registration still open and capacity left; an appraiser profile; for exams limited to
    practice categories, a profile that holds or seeks one of them; no valid pass of the same exam;
    no fail of the same exam within the policy's waiting period.
    """
    now = now or timezone.now()
    exam = sitting.exam
    if sitting.registrations.filter(user=user).exists():
        return _("Already registered for this sitting.")
    if now > sitting.registration_deadline:
        return _("Registration for this sitting closed on %(date)s.") % {
            "date": timezone.localtime(sitting.registration_deadline).strftime("%Y-%m-%d %H:%M")
        }
    if sitting.registrations.count() >= sitting.capacity:
        return _("This sitting is full (%(capacity)d places).") % {"capacity": sitting.capacity}
    profile = getattr(user, "appraiser_profile", None)
    if profile is None:
        return _("Only appraisers with a profile can sit exams: complete your appraiser profile first.")
    exam_categories = set(exam.categories.values_list("pk", flat=True))
    if exam_categories:
        own = set(profile.categories_held.values_list("pk", flat=True)) | set(
            profile.categories_sought.values_list("pk", flat=True)
        )
        if not exam_categories & own:
            return _("This exam is for other practice categories than those in your profile.")
    previous = (
        Attempt.objects.filter(
            paper__registration__user=user, paper__registration__sitting__exam=exam, passed__isnull=False
        )
        .exclude(paper__registration__sitting=sitting)
        .order_by("-submitted_at")
        .first()
    )
    if previous is not None:
        policy = exam.policy
        if previous.passed and (
            policy.pass_valid_days == 0 or previous.submitted_at + timedelta(days=policy.pass_valid_days) > now
        ):
            return _("You already hold a valid pass of this exam.")
        wait_until = previous.submitted_at + timedelta(days=policy.retake_wait_days)
        if not previous.passed and wait_until > now:
            return _("After a fail you may sit this exam again from %(date)s.") % {
                "date": timezone.localtime(wait_until).strftime("%Y-%m-%d")
            }
    return None


def registration_create(*, sitting: Sitting, user, registered_by=None, now=None) -> Registration:
    """Register a candidate after the eligibility check; a refusal raises ValidationError with the reason."""
    with transaction.atomic():
        # Lock the sitting so two registrations cannot both take the last place.
        sitting = Sitting.objects.select_for_update().get(pk=sitting.pk)
        reason = registration_refusal(sitting=sitting, user=user, now=now)
        if reason:
            raise ValidationError(reason)
        registration = Registration(
            sitting=sitting,
            user=user,
            registered_by=registered_by,
            ticket_number=f"{timezone.localtime(sitting.window_opens):%Y%m%d}{sitting.pk:04d}{user.pk:06d}",
        )
        registration.full_clean()
        registration.save()
        if sitting.paper_status == Sitting.PaperStatus.READY:
            _generate_missing_papers(sitting)
    return registration


# --- Draw plan and papers ----------------------------------------------------------------------


def _section_pool(exam: Exam, section) -> list[list[int]]:
    categories = [c.pk for c in section.categories.all()] or [c.pk for c in exam.categories.all()]
    qs = drawable_questions(
        category_ids=categories or None,
        knowledge_point_ids=[k.pk for k in section.knowledge_points.all()] or None,
        qtype=section.qtype,
        difficulty_min=section.difficulty_min,
        difficulty_max=section.difficulty_max,
        exam_kind=BANK_KIND[exam.kind],
    )
    return [list(row) for row in qs.order_by("pk").values_list("pk", "live_revision_id", "difficulty")]


def exam_draw_plan(*, exam: Exam, seed: int) -> dict:
    """Freeze the pools of approved revisions for every section; ValidationError names each shortfall."""
    tolerance = float(exam.policy.difficulty_tolerance)
    sections, problems = [], []
    for section in exam.sections.all():
        pool = _section_pool(exam, section)
        difficulties = [row[2] for row in pool]
        if section.target_difficulty is not None:
            target = float(section.target_difficulty)
        else:
            # The pool's mean, rounded to a total N questions can reach exactly (one question
            # cannot have mean difficulty 2.5).
            pool_mean = sum(difficulties) / len(difficulties) if difficulties else 3.0
            target = round(pool_mean * section.count) / section.count
        problem = section_feasibility(
            title=section.title, count=section.count, difficulties=difficulties, target=target, tolerance=tolerance
        )
        if problem:
            problems.append(problem)
            continue
        compositions = section_compositions(
            count=section.count, difficulties=difficulties, target=target, tolerance=tolerance
        )
        sections.append(
            {
                "title": section.title,
                "qtype": section.qtype,
                "count": section.count,
                "points": str(section.points_each),
                "target": round(target, 3),
                # Papers take these in turn. JSON keys are strings: {"2": 3} = three of difficulty 2.
                "compositions": [{str(d): k for d, k in c.items()} for c in compositions],
                "pool": pool,
            }
        )
    if not sections and not problems:
        problems.append(_("The exam has no blueprint sections."))
    if problems:
        raise ValidationError(problems)
    return {"seed": seed, "tolerance": tolerance, "sections": sections}


def exam_check_blueprint(*, exam: Exam) -> None:
    """Raise ValidationError (naming section and shortfall) when the pool cannot satisfy the blueprint."""
    exam_draw_plan(exam=exam, seed=0)


def sitting_schedule(
    *, exam: Exam, name: str, window_opens, window_closes, registration_deadline, capacity: int, location: str = ""
) -> Sitting:
    """Create a sitting; refuse it at once when the bank cannot supply the blueprint."""
    exam_check_blueprint(exam=exam)
    sitting = Sitting(
        exam=exam,
        name=name,
        location=location,
        window_opens=window_opens,
        window_closes=window_closes,
        registration_deadline=registration_deadline,
        capacity=capacity,
    )
    sitting.full_clean()
    sitting.save()
    return sitting


def _revision_content(revision_id: int) -> dict:
    from wagtail.models import Revision

    approved = Revision.objects.get(pk=revision_id).as_object()
    return {
        "stem": approved.stem,
        "options": [{"label": o.label, "text": o.text} for o in approved.options.all()],
        "key": approved.answer_key(),
    }


def paper_items_for(*, plan: dict, draw_index: int, seed: int, contents: dict) -> list[dict]:
    """The rows of one paper (without paper id): question order, shuffled options and remapped key."""
    rows = []
    for position, (s_index, (question_id, revision_id, difficulty)) in enumerate(draw_paper(plan, draw_index, seed), 1):
        section = plan["sections"][s_index]
        if revision_id not in contents:
            contents[revision_id] = _revision_content(revision_id)
        content = contents[revision_id]
        options, key, mapping = shuffle_options(
            qtype=section["qtype"], options=content["options"], key=content["key"], seed=seed, question_id=question_id
        )
        shown = {"stem": content["stem"], "options": options if section["qtype"] in QuestionType.choice_types() else []}
        if section["qtype"] == QuestionType.FILL_BLANK:
            shown["blanks"] = max(1, len(content["key"] or []))
        rows.append(
            {
                "position": position,
                "section_index": s_index,
                "question_id": question_id,
                "revision_id": revision_id,
                "qtype": section["qtype"],
                "difficulty": difficulty,
                "points": Decimal(section["points"]),
                "content": shown,
                "key": key if section["qtype"] in QuestionType.choice_types() else content["key"],
                "option_map": mapping,
            }
        )
    return rows


def _generate_missing_papers(sitting: Sitting) -> int:
    plan = sitting.draw_plan
    existing = Paper.objects.filter(registration__sitting=sitting)
    next_index = (max(existing.values_list("draw_index", flat=True), default=-1)) + 1
    missing = list(sitting.registrations.filter(paper__isnull=True).order_by("pk"))
    contents: dict = {}
    made = 0
    for chunk_start in range(0, len(missing), 200):
        chunk = missing[chunk_start : chunk_start + 200]
        papers, item_rows = [], []
        for offset, registration in enumerate(chunk):
            index = next_index + chunk_start + offset
            seed = seed_for(plan["seed"], index)
            rows = paper_items_for(plan=plan, draw_index=index, seed=seed, contents=contents)
            papers.append(
                Paper(
                    registration=registration,
                    draw_index=index,
                    seed=seed,
                    mean_difficulty=sum(r["difficulty"] for r in rows) / len(rows),
                    total_points=sum((r["points"] for r in rows), ZERO),
                )
            )
            item_rows.append(rows)
        Paper.objects.bulk_create(papers)
        if not all(p.pk for p in papers):  # backends without RETURNING on bulk insert
            by_reg = dict(Paper.objects.filter(registration__in=chunk).values_list("registration_id", "pk"))
            for paper in papers:
                paper.pk = by_reg[paper.registration_id]
        items = PaperItem.objects.bulk_create(
            [
                PaperItem(paper_id=paper.pk, **row)
                for paper, rows in zip(papers, item_rows, strict=True)
                for row in rows
            ],
            batch_size=2000,
        )
        if not all(item.pk for item in items):
            items = list(PaperItem.objects.filter(paper__in=papers))
        by_paper: dict[int, list[PaperItem]] = {}
        for item in items:
            by_paper.setdefault(item.paper_id, []).append(item)
        for paper in papers:
            paper.candidate_items = candidate_items_json(by_paper[paper.pk])
        Paper.objects.bulk_update(papers, ["candidate_items"], batch_size=50)
        made += len(papers)
    return made


def candidate_items_json(items) -> str:
    """The candidate-facing items of a paper as a JSON array, built field by field from
    `PaperItem.content` (stem, shown options, blank count), never from the key or the question
    bank, so an answer key cannot reach the browser by accident."""
    return json.dumps(
        [
            {
                "id": item.pk,
                "position": item.position,
                "section": item.section_index,
                "qtype": item.qtype,
                "points": str(item.points),
                "stem": item.content.get("stem", ""),
                "options": [{"label": o["label"], "text": o["text"]} for o in item.content.get("options", [])],
                "blanks": item.content.get("blanks", 0),
            }
            for item in sorted(items, key=lambda i: i.position)
        ],
        ensure_ascii=False,
    )


def paper_candidate_items(*, paper: Paper) -> str:
    """The paper's rendered candidate items, rendering (and storing) them for an older paper."""
    if not paper.candidate_items:
        paper.candidate_items = candidate_items_json(paper.items.all())
        Paper.objects.filter(pk=paper.pk).update(candidate_items=paper.candidate_items)
    return paper.candidate_items


def sitting_generate_papers(*, sitting_id: int) -> int:
    """Draw a paper for every registration without one (safe to run twice); freezes the plan first.

    Runs before the window opens (Celery), so starting an exam only reads. A blueprint the pool no
    longer satisfies marks the sitting FAILED with the message naming the section.
    """
    with transaction.atomic():
        sitting = Sitting.objects.select_for_update().select_related("exam__policy").get(pk=sitting_id)
        if not sitting.draw_plan:
            sitting.seed = sitting.seed or random.SystemRandom().getrandbits(62)
            try:
                sitting.draw_plan = exam_draw_plan(exam=sitting.exam, seed=sitting.seed)
            except ValidationError as exc:
                sitting.paper_status = Sitting.PaperStatus.FAILED
                sitting.paper_error = "\n".join(exc.messages)
                sitting.save(update_fields=["seed", "paper_status", "paper_error"])
                return 0
        made = _generate_missing_papers(sitting)
        sitting.paper_status = Sitting.PaperStatus.READY
        sitting.paper_error = ""
        sitting.papers_generated_at = timezone.now()
        sitting.save(update_fields=["seed", "draw_plan", "paper_status", "paper_error", "papers_generated_at"])
    return made


def sitting_request_papers(*, sitting: Sitting) -> None:
    """Queue paper generation on a worker (inline without Redis)."""
    from academy.background.services import run_task

    from .tasks import generate_papers

    Sitting.objects.filter(pk=sitting.pk).update(paper_status=Sitting.PaperStatus.GENERATING)
    run_task(generate_papers, sitting.pk)


# --- The attempt clock and answers ----------------------------------------------------------------


def attempt_start(*, registration: Registration, now=None) -> Attempt:
    """Start (or resume) the candidate's attempt; only inside the window. Deadline = min(start + duration, close)."""
    now = now or timezone.now()
    sitting = registration.sitting
    # A registration loaded with select_related("paper__attempt") (the start view) answers
    # "already started?" and "which paper?" without further queries.
    cache = registration._state.fields_cache
    if "paper" in cache and (cache["paper"] is None or "attempt" in cache["paper"]._state.fields_cache):
        paper = cache["paper"]
        existing = paper._state.fields_cache["attempt"] if paper is not None else None
    else:
        paper = None
        existing = Attempt.objects.filter(paper__registration=registration).first()
    if existing is not None:
        return existing
    if now < sitting.window_opens:
        raise AttemptClosed(
            _("The exam window opens at %(time)s.")
            % {"time": timezone.localtime(sitting.window_opens).strftime("%Y-%m-%d %H:%M")},
            "not_open",
        )
    if now >= sitting.window_closes:
        raise AttemptClosed(_("The exam window has closed."), "closed")
    if paper is None:
        paper = Paper.objects.filter(registration=registration).first()
    if paper is None:
        # Papers are made before the window opens; a late registration still gets one, drawn now.
        sitting_generate_papers(sitting_id=sitting.pk)
        paper = Paper.objects.filter(registration=registration).first()
        if paper is None:
            raise AttemptClosed(_("Your paper is not ready: please tell the exam administrator."), "no_paper")
    exam = sitting.exam
    deadline = min(now + timedelta(minutes=exam.duration_minutes), sitting.window_closes)
    attempt = Attempt(
        paper=paper,
        started_at=now,
        deadline=deadline,
        accept_until=deadline + timedelta(seconds=exam.policy.grace_seconds),
    )
    attempt.full_clean(exclude=["paper"], validate_unique=False, validate_constraints=False)
    # One INSERT in autocommit (a savepoint only inside an outer transaction): of two
    # simultaneous starts (a double click, two tabs) one inserts, the other reads its attempt.
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            attempt.save(force_insert=True)
    except IntegrityError:
        return Attempt.objects.get(paper=paper)
    return attempt


_UPSERT = """
INSERT INTO exams_answer (attempt_id, item_id, response, flagged, seq, saved_at)
SELECT a.id, pi.id, {json}, %s, %s, %s
FROM exams_attempt a JOIN exams_paperitem pi ON pi.paper_id = a.paper_id
WHERE a.id = %s AND pi.id = %s AND a.status = 'in_progress' AND a.accept_until >= %s
ON CONFLICT (attempt_id, item_id) DO UPDATE
SET response = excluded.response, flagged = excluded.flagged, seq = excluded.seq, saved_at = excluded.saved_at
WHERE exams_answer.seq < excluded.seq
"""


def _upsert_sql() -> str:
    return _UPSERT.format(json="%s::jsonb" if connection.vendor == "postgresql" else "%s")


def _run_upserts(rows: list[list]) -> list[int]:
    """Execute the upsert once per row; returns each row count.

    On PostgreSQL the statement is a server-side prepared statement on the request's connection
    (psycopg `prepare=True`): Django's cursors bind client-side and never prepare, so PostgreSQL
    parsed and planned this join + ON CONFLICT on every autosave. The prepared plan lives as long
    as the persistent connection (CONN_MAX_AGE). Django opens connections with
    prepare_threshold=None, which makes psycopg ignore `prepare=True`; a threshold no query
    reaches turns preparing on for this explicit request only (Django's own cursors bind
    client-side and are never prepared either way). Prepared statements need a direct
    connection or a pooler in session mode (PgBouncer ≥ 1.21 also handles them in transaction mode).
    """
    counts = []
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        raw = connection.connection
        if raw.prepare_threshold is None:
            raw.prepare_threshold = 2**31 - 1
        with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
            for params in rows:
                cursor.execute(_UPSERT.format(json="%s::jsonb"), params, prepare=True)
                counts.append(cursor.rowcount)
        return counts
    with connection.cursor() as cursor:
        for params in rows:
            cursor.execute(_upsert_sql(), params)
            counts.append(cursor.rowcount)
    return counts


def answers_save(*, attempt_id: int, entries: list[dict], now=None) -> dict:
    """Store answers `[{item, response, seq, flagged}]`; an older seq never overwrites a newer one.

    One statement per answer (INSERT ... SELECT ... ON CONFLICT DO UPDATE WHERE newer) that also
    checks the attempt is open and the item is on its paper, so a save is a single round trip.
    Returns {"acked": [{item, seq}]}: an entry is acknowledged when the stored seq is at least its
    own (stored now, or superseded by a newer save). Raises AttemptClosed when nothing may be saved.
    """
    now = now or timezone.now()
    clean = []
    for entry in entries:
        try:
            item, seq = int(entry["item"]), int(entry["seq"])
        except (KeyError, TypeError, ValueError):
            raise ValidationError(_("Each answer needs an item and a sequence number.")) from None
        response = entry.get("response")
        if len(json.dumps(response, ensure_ascii=False)) > 20_000:
            raise ValidationError(_("The answer is too long."))
        clean.append((item, seq, response, bool(entry.get("flagged", False))))
    db_now = connection.ops.adapt_datetimefield_value(now)
    # One entry is one statement (autocommit); several are stored together or not at all.
    atomic = transaction.atomic() if len(clean) > 1 else nullcontext()
    with atomic:
        counts = _run_upserts(
            [
                [json.dumps(response), flagged, seq, db_now, attempt_id, item, db_now]
                for item, seq, response, flagged in clean
            ]
        )
    pending = [(item, seq) for (item, seq, _r, _f), count in zip(clean, counts, strict=True) if count != 1]
    acked = [{"item": item, "seq": seq} for item, seq, _r, _f in clean]
    if pending:
        # Not written: superseded by a newer seq (fine), or refused (closed attempt, foreign item).
        attempt = Attempt.objects.select_related("paper").get(pk=attempt_id)
        if attempt.status != Attempt.Status.IN_PROGRESS:
            raise AttemptClosed(_("This exam has been submitted: answers can no longer be changed."), "submitted")
        if attempt.accept_until < now:
            raise AttemptClosed(_("Time is up: answers after the deadline are not accepted."), "expired")
        stored = dict(
            Answer.objects.filter(attempt_id=attempt_id, item_id__in=[i for i, _s in pending]).values_list(
                "item_id", "seq"
            )
        )
        missing = [i for i, s in pending if i not in stored or stored[i] < s]
        if missing:
            raise ValidationError(_("These questions are not on your paper: %(items)s.") % {"items": missing})
    return {"acked": acked}


def attempt_submit(*, attempt: Attempt, now=None, auto: bool = False) -> Attempt:
    """Hand in the attempt (a second submit changes nothing) and queue its grading."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if attempt.status != Attempt.Status.IN_PROGRESS:
            return attempt
        attempt.status = Attempt.Status.SUBMITTED
        attempt.submitted_at = min(now, attempt.deadline)
        attempt.auto_submitted = auto
        attempt.save(update_fields=["status", "submitted_at", "auto_submitted"])
        _queue_grading(attempt.pk)
    return attempt


def _queue_grading(attempt_id: int) -> None:
    from academy.background.services import run_task

    from .tasks import grade_attempt

    run_task(grade_attempt, attempt_id)


def attempts_submit_expired(*, now=None) -> int:
    """Auto-submit attempts whose deadline plus grace has passed (Celery beat runs this every minute)."""
    now = now or timezone.now()
    count = 0
    for attempt in Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS, accept_until__lt=now).only("pk"):
        if attempt_submit(attempt=attempt, now=now, auto=True).auto_submitted:
            count += 1
    return count


def attempts_requeue_ungraded(*, older_than_seconds: int = 120, now=None) -> int:
    """Re-queue grading for attempts submitted a while ago and still ungraded (a lost task)."""
    now = now or timezone.now()
    ids = list(
        Attempt.objects.filter(
            status=Attempt.Status.SUBMITTED, submitted_at__lt=now - timedelta(seconds=older_than_seconds)
        ).values_list("pk", flat=True)
    )
    for attempt_id in ids:
        _queue_grading(attempt_id)
    return len(ids)


# --- Grading -----------------------------------------------------------------------------------


def normalise_blank(text) -> str:
    """Full-/half-width folded, whitespace removed, case folded: how fill-in answers are compared."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split()).casefold()


def grade_response(*, qtype: str, key, response, points: Decimal, partial_credit: bool = False) -> Decimal:
    """Points for an objective response.

    Single choice and true/false: all or nothing. Multiple choice: all or nothing, or with partial
    credit half the points when every chosen option is correct but some are missing (a wrong choice
    scores nothing). Fill-in: each blank counts equally; a blank is right when its normalised text
    equals one of the accepted alternatives.
    """
    points = Decimal(points)
    if response in (None, "", []):
        return ZERO
    if qtype == QuestionType.SINGLE:
        chosen = response[0] if isinstance(response, list) and len(response) == 1 else response
        return points if isinstance(chosen, str) and [chosen] == list(key or []) else ZERO
    if qtype == QuestionType.MULTIPLE:
        chosen = set(response) if isinstance(response, list) else {response}
        correct = set(key or [])
        if chosen == correct:
            return points
        if partial_credit and chosen and chosen < correct:
            return _q(points / 2)
        return ZERO
    if qtype == QuestionType.TRUE_FALSE:
        return points if isinstance(response, bool) and response == key else ZERO
    if qtype == QuestionType.FILL_BLANK:
        blanks = list(key or [])
        given = response if isinstance(response, list) else [response]
        if not blanks:
            return ZERO
        right = 0
        for index, alternatives in enumerate(blanks):
            accepted = {
                normalise_blank(a) for a in (alternatives if isinstance(alternatives, list) else [alternatives])
            }
            if index < len(given) and normalise_blank(given[index]) in accepted and normalise_blank(given[index]):
                right += 1
        return _q(points * right / len(blanks))
    raise ValueError(f"{qtype} is not graded automatically")


def attempt_grade(*, attempt_id: int) -> bool:
    """Grade the objective answers of a submitted attempt and open marking for the subjective ones.

    Idempotent: it works only on an attempt in SUBMITTED and moves it on in the same transaction,
    so a retried or duplicated task finds nothing to do (returns False) and never counts twice.
    """
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update()
            .filter(pk=attempt_id, status=Attempt.Status.SUBMITTED)
            .select_related("paper__registration__sitting__exam__policy")
            .first()
        )
        if attempt is None:
            return False
        sitting = attempt.paper.registration.sitting
        partial = sitting.exam.policy.multiple_partial_credit
        items = list(attempt.paper.items.all())
        answers = {a.item_id: a for a in attempt.answers.all()}
        new = [
            Answer(attempt=attempt, item=item, response=None, seq=0, saved_at=attempt.submitted_at)
            for item in items
            if item.pk not in answers
        ]
        Answer.objects.bulk_create(new)
        if new and not all(a.pk for a in new):
            answers = {a.item_id: a for a in attempt.answers.all()}
        else:
            answers.update({a.item_id: a for a in new})
        objective = ZERO
        subjective_answers = []
        for item in items:
            answer = answers[item.pk]
            if item.is_subjective:
                answer.score = None
                subjective_answers.append(answer)
                continue
            answer.score = grade_response(
                qtype=item.qtype, key=item.key, response=answer.response, points=item.points, partial_credit=partial
            )
            objective += answer.score
        Answer.objects.bulk_update(list(answers.values()), ["score"])
        Mark.objects.bulk_create(
            [Mark(answer=answer, round=r) for answer in subjective_answers for r in (1, 2)], ignore_conflicts=True
        )
        ScoreAuditLog.objects.create(
            attempt=attempt,
            sitting=sitting,
            action=ScoreAuditLog.Action.AUTO_GRADE,
            before=None,
            after={"objective": str(objective), "subjective_items": len(subjective_answers)},
        )
        if subjective_answers:
            attempt.status = Attempt.Status.MARKING
            attempt.save(update_fields=["status"])
        else:
            _finalise(attempt, user=None, reason="")
    return True


def _finalise(attempt: Attempt, *, user, reason: str) -> None:
    items = {i.pk: i for i in attempt.paper.items.all()}
    sitting = attempt.paper.registration.sitting
    plan_sections = sitting.draw_plan.get("sections", [])
    per_section: dict[int, Decimal] = {}
    total = ZERO
    for answer in attempt.answers.all():
        score = answer.score or ZERO
        total += score
        index = items[answer.item_id].section_index
        per_section[index] = per_section.get(index, ZERO) + score
    before = {"score": str(attempt.score) if attempt.score is not None else None, "passed": attempt.passed}
    attempt.score = _q(total)
    attempt.section_scores = [
        {
            "title": section["title"],
            "score": str(per_section.get(i, ZERO)),
            "max": str(Decimal(section["points"]) * section["count"]),
        }
        for i, section in enumerate(plan_sections)
    ]
    attempt.passed = attempt.score >= sitting.exam.pass_mark
    attempt.status = Attempt.Status.GRADED
    attempt.graded_at = timezone.now()
    attempt.save(update_fields=["score", "section_scores", "passed", "status", "graded_at"])
    ScoreAuditLog.objects.create(
        attempt=attempt,
        sitting=sitting,
        user=user,
        action=ScoreAuditLog.Action.FINALISE,
        before=before,
        after={"score": str(attempt.score), "passed": attempt.passed},
        reason=reason,
    )


# --- Anonymous double marking --------------------------------------------------------------------


def marking_claim_next(*, marker, sitting: Sitting | None = None, now=None) -> Mark | None:
    """The next mark this marker may give: one already claimed by them, or an open one for an answer
    they have not marked in another round (double marking needs two different people)."""
    now = now or timezone.now()
    with transaction.atomic():
        mine = Mark.objects.filter(marker=marker, score__isnull=True)
        if sitting is not None:
            mine = mine.filter(answer__attempt__paper__registration__sitting=sitting)
        claimed = mine.order_by("pk").first()
        if claimed:
            return claimed
        qs = Mark.objects.filter(marker__isnull=True, score__isnull=True).exclude(answer__marks__marker=marker)
        if sitting is not None:
            qs = qs.filter(answer__attempt__paper__registration__sitting=sitting)
        mark = (
            qs.select_for_update(skip_locked=connection.features.has_select_for_update_skip_locked)
            .order_by("round", "pk")
            .first()
        )
        if mark is None:
            return None
        mark.marker = marker
        mark.claimed_at = now
        mark.save(update_fields=["marker", "claimed_at"])
        return mark


def mark_submit(*, mark: Mark, marker, score, comment: str = "") -> Mark:
    """Record a marker's score (0..item points); resolve the answer when its marks allow.

    Two marks within the policy threshold: the answer scores their mean. Further apart: a third
    marker marks it, and the answer scores the mean of the third mark and the closer of the first two.
    """
    with transaction.atomic():
        mark = Mark.objects.select_for_update().select_related("answer__item", "answer__attempt").get(pk=mark.pk)
        if mark.marker_id != marker.pk:
            raise ValidationError(_("This answer is assigned to another marker."))
        if mark.score is not None:
            raise ValidationError(_("This answer has already been marked; ask the exam administrator to change it."))
        try:
            value = Decimal(str(score))
        except ArithmeticError:
            raise ValidationError(_("Enter a number of points.")) from None
        maximum = mark.answer.item.points
        # Steps of 0.5: twice the value is whole (Decimal.quantize(0.5) would keep 1.3 as it is).
        if value < 0 or value > maximum or (value * 2) % 1:
            raise ValidationError(_("The score must be between 0 and %(max)s in steps of 0.5.") % {"max": maximum})
        mark.score = value
        mark.comment = comment
        mark.marked_at = timezone.now()
        mark.full_clean()
        mark.save(update_fields=["score", "comment", "marked_at"])
        attempt = mark.answer.attempt
        sitting = attempt.paper.registration.sitting
        ScoreAuditLog.objects.create(
            attempt=attempt,
            sitting=sitting,
            answer=mark.answer,
            user=marker,
            action=ScoreAuditLog.Action.MARK,
            before=None,
            after={"round": mark.round, "score": str(value)},
            reason=comment,
        )
        _resolve_answer(mark.answer, sitting=sitting)
    return mark


def _resolve_answer(answer: Answer, *, sitting: Sitting) -> None:
    marks = {m.round: m.score for m in answer.marks.all()}
    first, second, third = marks.get(1), marks.get(2), marks.get(3)
    if first is None or second is None:
        return
    threshold = sitting.exam.policy.marking_threshold
    if abs(first - second) > threshold:
        if 3 not in marks:
            Mark.objects.create(answer=answer, round=3)
            return
        if third is None:
            return
        closer = first if abs(first - third) <= abs(second - third) else second
        answer.score = _q((closer + third) / 2)
    else:
        answer.score = _q((first + second) / 2)
    answer.save(update_fields=["score"])
    attempt = answer.attempt
    if not attempt.answers.filter(score__isnull=True).exists() and attempt.status == Attempt.Status.MARKING:
        _finalise(attempt, user=None, reason="")


def answer_change_score(*, answer: Answer, user, score, reason: str) -> Answer:
    """An exam administrator's change of one answer's score (re-mark after review); reason required."""
    if not (reason or "").strip():
        raise ValidationError(_("Give the reason for the score change."))
    value = Decimal(str(score))
    if value < 0 or value > answer.item.points or (value * 2) % 1:
        raise ValidationError(
            _("The score must be between 0 and %(max)s in steps of 0.5.") % {"max": answer.item.points}
        )
    with transaction.atomic():
        answer = Answer.objects.select_for_update().select_related("attempt", "item").get(pk=answer.pk)
        attempt = answer.attempt
        sitting = attempt.paper.registration.sitting
        before = str(answer.score) if answer.score is not None else None
        answer.score = value
        answer.save(update_fields=["score"])
        ScoreAuditLog.objects.create(
            attempt=attempt,
            sitting=sitting,
            answer=answer,
            user=user,
            action=ScoreAuditLog.Action.REMARK,
            before={"score": before},
            after={"score": str(value)},
            reason=reason,
        )
        if attempt.status == Attempt.Status.GRADED or not attempt.answers.filter(score__isnull=True).exists():
            _finalise(attempt, user=user, reason=reason)
    return answer


def sitting_release_results(*, sitting: Sitting, user, now=None) -> Sitting:
    """Release results to candidates; refused while any attempt is ungraded or still in progress."""
    now = now or timezone.now()
    with transaction.atomic():
        sitting = Sitting.objects.select_for_update().get(pk=sitting.pk)
        if sitting.results_released_at:
            raise ValidationError(_("The results of this sitting are already released."))
        pending = Attempt.objects.filter(paper__registration__sitting=sitting).exclude(status=Attempt.Status.GRADED)
        if pending.exists():
            raise ValidationError(
                _("%(count)d attempts are not graded yet (in progress, awaiting grading or marking).")
                % {"count": pending.count()}
            )
        if now < sitting.window_closes:
            raise ValidationError(_("Results can be released only after the exam window has closed."))
        sitting.results_released_at = now
        sitting.results_released_by = user
        sitting.save(update_fields=["results_released_at", "results_released_by"])
        ScoreAuditLog.objects.create(
            sitting=sitting,
            user=user,
            action=ScoreAuditLog.Action.RELEASE,
            before={"released": False},
            after={
                "released": True,
                "attempts": Attempt.objects.filter(paper__registration__sitting=sitting).count(),
            },
        )
    return sitting
