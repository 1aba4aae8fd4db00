"""Exam-day benchmark: `python bench/exam_day.py --candidates N [--quick]`.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL. Creates its own bank (reused between runs), exam,
sitting and candidates, then drives a real gunicorn server and a real Celery worker over HTTP:

1. Papers: a Celery worker pre-generates N + 32 papers (papergen_s).
2. Capacity: 32 clients autosave as fast as the server answers (autosave_rps); then 32 threads of
   plain psycopg run the same upsert on the same rows (baseline_upsert_rps).
3. Exam day: N candidates start within the start window, autosave every interval (logging each
   acknowledged save), then submit within the submit window. Midway one gunicorn worker is
   SIGKILLed; during grading one Celery pool process is SIGKILLed (both are restarted by their
   masters). Afterwards every acknowledged save is checked against the database and every
   attempt's grading is counted.

--quick shrinks every phase (for a CI smoke run: well under a minute with 50 candidates).
Prints progress to stderr and one JSON line last on stdout.
"""

import argparse
import heapq
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "site")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.settings.dev")
os.environ["DEBUG"] = "false"  # no query log growing in the benchmark's processes

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from academy.accounts.models import AppraiserProfile, User  # noqa: E402
from academy.categories.models import PracticeCategory  # noqa: E402
from exams import services  # noqa: E402
from exams.models import Answer, Attempt, BlueprintSection, Exam, ExamPolicy, Registration, ScoreAuditLog, Sitting  # noqa: E402
from exams.tasks import generate_papers  # noqa: E402
from question_bank.models import Question, QuestionOption  # noqa: E402

CAPACITY_CLIENTS = 32


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- Data -----------------------------------------------------------------------------------------

SECTIONS = [
    ("单选题", "single", 20, 60),
    ("多选题", "multiple", 5, 20),
    ("判断题", "true_false", 10, 40),
    ("填空题", "fill_blank", 5, 20),
]


def ensure_bank(scale: int) -> None:
    """BENCH-* questions, approved; created once and reused by later runs."""
    category = PracticeCategory.objects.get(code="FYLC")
    short = {"single": "SC", "multiple": "MC", "true_false": "TF", "fill_blank": "FB"}
    for _title, qtype, _count, pool in SECTIONS:
        wanted = pool * scale
        have = Question.objects.filter(code__startswith=f"BENCH-{short[qtype]}-", live=True).count()
        for i in range(have, wanted):
            q = Question(
                code=f"BENCH-{short[qtype]}-{i:04d}",
                category=category,
                qtype=qtype,
                difficulty=1 + i % 5,
                stem=f"<p>基准题 {qtype} {i}：关于损伤程度鉴定，下列说法正确的是？</p>",
                true_false_answer=(i % 2 == 0) if qtype == "true_false" else None,
                blank_answers=[["原发性损伤"]] if qtype == "fill_blank" else [],
            )
            if qtype in {"single", "multiple"}:
                correct = {"B"} if qtype == "single" else {"A", "C"}
                q.options = [
                    QuestionOption(label=label, text=f"选项{label}{i}", is_correct=label in correct) for label in "ABCD"
                ]
            q.save()
            q.save_revision().publish()
    log("bank ready")


def build_sitting(n_total: int, quick: bool) -> Sitting:
    run = secrets.token_hex(3)
    policy, _ = ExamPolicy.objects.get_or_create(name="基准政策", defaults={"pass_percent": Decimal("60")})
    exam = Exam.objects.create(title=f"基准考试 {run}", kind="pre_employment", policy=policy, duration_minutes=60)
    for i, (title, qtype, count, _pool) in enumerate(SECTIONS):
        BlueprintSection.objects.create(
            exam=exam,
            sort_order=i,
            title=title,
            qtype=qtype,
            count=max(2, count // (4 if quick else 1)),
            points_each=Decimal("2"),
        )
    now = timezone.now()
    sitting = Sitting.objects.create(
        exam=exam,
        name=f"基准场次 {run}",
        window_opens=now + timezone.timedelta(minutes=30),
        window_closes=now + timezone.timedelta(hours=3),
        registration_deadline=now + timezone.timedelta(minutes=29),
        capacity=n_total,
    )
    users = User.objects.bulk_create(
        [User(username=f"bench-{run}-{i}", real_name=f"考生{i}", password="!") for i in range(n_total)], batch_size=1000
    )
    if not all(u.pk for u in users):
        users = list(User.objects.filter(username__startswith=f"bench-{run}-").order_by("pk"))
    AppraiserProfile.objects.bulk_create(
        [AppraiserProfile(user=u, institution="基准鉴定中心") for u in users], batch_size=1000
    )
    Registration.objects.bulk_create(
        [Registration(sitting=sitting, user=u, ticket_number=f"B{run}{i:06d}") for i, u in enumerate(users)],
        batch_size=1000,
    )
    log(f"sitting {sitting.pk} with {n_total} registrations")
    return sitting


def sessions_for(sitting) -> dict[int, str]:
    """A logged-in session per candidate, made directly (logging 2,000 people in would benchmark PBKDF2)."""
    cookies = {}
    for reg in sitting.registrations.select_related("user"):
        store = SessionStore()
        store[SESSION_KEY] = str(reg.user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = reg.user.get_session_auth_hash()
        store.create()
        cookies[reg.pk] = store.session_key
    return cookies


# --- Processes ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry))
            except OSError:
                continue
    return found


def start_processes(port: int, workers: int, threads: int):
    env = dict(os.environ, PYTHONPATH=f"{ROOT}:{ROOT / 'site'}", DEBUG="false", LOG_LEVEL="WARNING")
    bin_dir = Path(sys.executable).parent
    web = subprocess.Popen(
        [
            str(bin_dir / "gunicorn"),
            "academy.wsgi",
            "--pythonpath",
            f"{ROOT},{ROOT / 'site'}",
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--keep-alive",
            "30",
            "--backlog",
            "4096",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    worker = subprocess.Popen(
        [
            str(bin_dir / "celery"),
            "-A",
            "academy",
            "worker",
            "-Q",
            "academy",
            "--concurrency",
            "2",
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"bench-{port}@%h",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/exams/")
            c.getresponse().read()
            break
        except OSError:
            time.sleep(0.2)
    return web, worker


# --- HTTP clients ---------------------------------------------------------------------------------

CSRF = secrets.token_urlsafe(24)[:32].ljust(32, "x").replace("-", "a").replace("_", "b")
_local = threading.local()


class Client:
    def __init__(self, port, session):
        self.port = port
        self.cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={CSRF}"

    def request(self, method, path, body=None, headers=None):
        conn = getattr(_local, "conn", None)
        for attempt in range(2):
            if conn is None:
                conn = _local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            h = {"Cookie": self.cookie, "X-CSRFToken": CSRF, "Accept": "application/json"}
            if body is not None:
                h["Content-Type"] = "application/json"
            h.update(headers or {})
            try:
                conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
                r = conn.getresponse()
                data = r.read()
                return r.status, (
                    json.loads(data)
                    if data and r.getheader("Content-Type", "").startswith("application/json")
                    else None
                )
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = _local.conn = None
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")


class Candidate:
    def __init__(self, client, registration_id):
        self.client = client
        self.registration_id = registration_id
        self.attempt = None
        self.token = None
        self.items = []
        self.seq = 0
        self.pending = {}
        self.acked = {}  # item -> (seq, response) of the newest acknowledged save
        self.lock = threading.Lock()

    def start(self):
        t = time.perf_counter()
        status, body = self.client.request("POST", f"/exams/api/registrations/{self.registration_id}/start/")
        elapsed = (time.perf_counter() - t) * 1000
        if status != 200:
            raise RuntimeError(f"start {status} {body}")
        self.attempt, self.token = body["attempt"], body["token"]
        status, state = self.client.request("GET", f"/exams/api/attempts/{self.attempt}/state/")
        self.items = [(i["id"], i["qtype"], [o["label"] for o in i["options"]]) for i in state["items"]]
        self.seq = state["max_seq"]
        return elapsed

    def change(self, rng):
        item, qtype, labels = rng.choice(self.items)
        if qtype == "single":
            response = rng.choice(labels)
        elif qtype == "multiple":
            response = sorted(rng.sample(labels, rng.randint(1, len(labels))))
        elif qtype == "true_false":
            response = rng.random() < 0.5
        else:
            response = [rng.choice(["原发性损伤", "不知道", "原发 性损伤"])]
        self.seq += 1
        self.pending[item] = {"item": item, "response": response, "seq": self.seq}

    def save(self):
        """Send every unacknowledged change; returns (latency ms, ok)."""
        entries = list(self.pending.values())
        if not entries:
            return None, True
        t = time.perf_counter()
        try:
            status, body = self.client.request(
                "POST",
                f"/exams/api/attempts/{self.attempt}/save/",
                {"answers": entries},
                {"X-Attempt-Token": self.token},
            )
        except (OSError, http.client.HTTPException):
            return None, False
        elapsed = (time.perf_counter() - t) * 1000
        if status != 200:
            return elapsed, False
        sent = {e["item"]: e for e in entries}
        for ack in body["acked"]:
            entry = sent[ack["item"]]
            if ack["seq"] == entry["seq"]:
                old = self.acked.get(ack["item"])
                if old is None or old[0] < entry["seq"]:
                    self.acked[ack["item"]] = (entry["seq"], entry["response"])
                if self.pending.get(ack["item"], {}).get("seq") == entry["seq"]:
                    del self.pending[ack["item"]]
        return elapsed, True

    def submit(self):
        for _ in range(5):
            ok = self.save()[1]
            if ok and not self.pending:
                break
            time.sleep(0.5)
        for _ in range(5):
            try:
                status, _body = self.client.request("POST", f"/exams/api/attempts/{self.attempt}/submit/")
                if status == 200:
                    return True
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.5)
        return False


# --- Phases ---------------------------------------------------------------------------------------


def capacity(port, candidates, seconds):
    rng = random.Random(1)
    for c in candidates:
        c.start()
    count = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def run(c):
        n = 0
        while time.perf_counter() < stop:
            c.change(rng)
            _ms, ok = c.save()
            n += ok
        with lock:
            count[0] += n

    with ThreadPoolExecutor(len(candidates)) as pool:
        list(pool.map(run, candidates))
    autosave_rps = count[0] / seconds

    # Baseline: the same upsert on the same rows, straight from psycopg.
    import psycopg

    db = settings.DATABASES["default"]
    dsn = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} dbname={db['NAME']} user={db['USER']}" + (
        f" password={db['PASSWORD']}" if db.get("PASSWORD") else ""
    )
    sql = services._UPSERT.format(json="%s::jsonb")
    total = [0]
    stop = time.perf_counter() + seconds

    def baseline(c):
        n = 0
        seq = 10**9
        with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
            while time.perf_counter() < stop:
                seq += 1
                item = c.items[seq % len(c.items)][0]
                now = timezone.now()
                cur.execute(sql, [json.dumps("A"), False, seq, now, c.attempt, item, now])
                n += 1
        with lock:
            total[0] += n

    with ThreadPoolExecutor(len(candidates)) as pool:
        list(pool.map(baseline, candidates))
    return autosave_rps, total[0] / seconds


def exam_day(port, candidates, *, start_window, duration, interval, submit_window, web, worker):
    rng = random.Random(2)
    t0 = time.perf_counter()
    events = []  # (time, seq, kind, candidate)
    n = 0
    for c in candidates:
        s = t0 + rng.uniform(0, start_window)
        heapq.heappush(events, (s, n, "start", c))
        n += 1
    start_ms, save_ms = [], []
    failures = {"start": 0, "save": 0, "submit": 0}
    lock = threading.Lock()
    killed = {"web": None, "grading": None}
    kill_at = t0 + start_window + duration / 2
    phase_end = t0 + start_window + duration
    kill_grading_at = phase_end + submit_window / 2
    submit_times = {}

    def handle(kind, c):
        rng_local = random.Random(hash((c.registration_id, time.perf_counter())))
        if kind == "start":
            try:
                ms = c.start()
                with lock:
                    start_ms.append(ms)
            except Exception:  # noqa: BLE001 - counted, the candidate retries
                with lock:
                    failures["start"] += 1
                return [(time.perf_counter() + 1, "start")]
            return [(time.perf_counter() + rng_local.uniform(0, interval), "save")]
        if kind == "save":
            with c.lock:
                c.change(rng_local)
                ms, ok = c.save()
            with lock:
                if ms is not None and ok:
                    save_ms.append(ms)
                if not ok:
                    failures["save"] += 1
            nxt = time.perf_counter() + interval
            if nxt < phase_end:
                return [(nxt, "save")]
            return [(submit_times[c.registration_id], "submit")]
        if kind == "submit":
            with c.lock:
                if not c.submit():
                    with lock:
                        failures["submit"] += 1
            return []
        return []

    for c in candidates:
        submit_times[c.registration_id] = phase_end + rng.uniform(0, submit_window)

    with ThreadPoolExecutor(64) as pool:
        inflight = set()
        cond = threading.Condition()

        def done(fut, c):
            nonlocal n
            with cond:
                inflight.discard(fut)
                try:
                    follow = fut.result()
                except Exception as exc:  # noqa: BLE001 - a client bug must not stop the run
                    log(f"client error: {exc!r}")
                    follow = []
                for when, kind in follow:
                    n += 1
                    heapq.heappush(events, (when, n, kind, c))
                cond.notify()

        while True:
            with cond:
                if not events and not inflight:
                    break
                now = time.perf_counter()
                if killed["web"] is None and now >= kill_at:
                    workers = children(web.pid)
                    if workers:
                        os.kill(workers[0], signal.SIGKILL)
                        killed["web"] = workers[0]
                        log(f"SIGKILL web worker {workers[0]}")
                if killed["grading"] is None and now >= kill_grading_at:
                    pool_procs = children(worker.pid)
                    if pool_procs:
                        os.kill(pool_procs[0], signal.SIGKILL)
                        killed["grading"] = pool_procs[0]
                        log(f"SIGKILL Celery pool process {pool_procs[0]} during grading")
                if events and events[0][0] <= now:
                    _when, _n, kind, c = heapq.heappop(events)
                    fut = pool.submit(handle, kind, c)
                    inflight.add(fut)
                    fut.add_done_callback(lambda f, c=c: done(f, c))
                    continue
                wait = (events[0][0] - now) if events else 0.5
                cond.wait(timeout=max(0.001, min(wait, 0.5)))
    return start_ms, save_ms, failures, killed


def wait_for_grading(sitting, timeout):
    """Wait until no attempt is waiting for grading (the pool process was killed during the submit window)."""
    t = time.perf_counter()
    requeued = 0
    while time.perf_counter() - t < timeout:
        waiting = Attempt.objects.filter(paper__registration__sitting=sitting, status=Attempt.Status.SUBMITTED).count()
        if waiting == 0:
            break
        if time.perf_counter() - t > timeout / 2 and not requeued:
            # What Celery beat's requeue sweep does every 5 minutes, done now to keep the run short.
            requeued = services.attempts_requeue_ungraded(older_than_seconds=10)
            log(f"re-queued {requeued} attempts still waiting for grading")
        time.sleep(0.5)
    return requeued


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=8, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        sys.exit("bench/exam_day.py needs DATABASE_URL naming PostgreSQL and REDIS_URL")
    q = args.quick
    phases = (
        {"capacity": 5, "start_window": 5, "duration": 15, "interval": 3, "submit_window": 5}
        if q
        else {"capacity": 30, "start_window": 60, "duration": 180, "interval": 10, "submit_window": 60}
    )
    ensure_bank(1)
    n = args.candidates
    sitting = build_sitting(n + CAPACITY_CLIENTS, q)
    cookies = sessions_for(sitting)
    port = free_port()
    web, worker = start_processes(port, args.workers, args.threads)
    try:
        t = time.perf_counter()
        Sitting.objects.filter(pk=sitting.pk).update(paper_status=Sitting.PaperStatus.GENERATING)
        generate_papers.delay(sitting.pk)
        while Sitting.objects.get(pk=sitting.pk).paper_status == Sitting.PaperStatus.GENERATING:
            time.sleep(0.2)
        papergen_s = time.perf_counter() - t
        sitting.refresh_from_db()
        log(f"papers {sitting.paper_status} in {papergen_s:.1f}s {sitting.paper_error}")
        # The window opens now that papers are ready (they were generated before it opened).
        Sitting.objects.filter(pk=sitting.pk).update(window_opens=timezone.now() - timezone.timedelta(seconds=1))

        regs = list(sitting.registrations.order_by("pk").values_list("pk", flat=True))
        make = [Candidate(Client(port, cookies[r]), r) for r in regs]
        cap, day = make[:CAPACITY_CLIENTS], make[CAPACITY_CLIENTS:]
        autosave_rps, baseline_rps = capacity(port, cap, phases["capacity"])
        log(f"capacity: autosave {autosave_rps:.0f}/s, baseline upsert {baseline_rps:.0f}/s")
        for c in cap:  # capacity clients hand in too, so they do not wait for auto-submit
            c.submit()

        start_ms, save_ms, failures, killed = exam_day(
            port,
            day,
            start_window=phases["start_window"],
            duration=phases["duration"],
            interval=phases["interval"],
            submit_window=phases["submit_window"],
            web=web,
            worker=worker,
        )
        log(f"exam day done: {len(start_ms)} starts, {len(save_ms)} saves, failures {failures}")
        requeued = wait_for_grading(sitting, 600 if not q else 60)

        # Every acknowledged save against the database.
        acknowledged = stored = 0
        by_attempt = {c.attempt: c for c in day if c.attempt}
        rows = {
            (a, i): (s, r)
            for a, i, s, r in Answer.objects.filter(attempt_id__in=list(by_attempt)).values_list(
                "attempt_id", "item_id", "seq", "response"
            )
        }
        for attempt_id, c in by_attempt.items():
            for item, (seq, response) in c.acked.items():
                acknowledged += 1
                got = rows.get((attempt_id, item))
                if got and (got[0] > seq or (got[0] == seq and got[1] == response)):
                    stored += 1
        attempts = Attempt.objects.filter(paper__registration__sitting=sitting)
        submitted = attempts.exclude(status=Attempt.Status.IN_PROGRESS).count()
        graded = attempts.filter(status=Attempt.Status.GRADED).count()
        grade_counts = (
            ScoreAuditLog.objects.filter(sitting=sitting, action=ScoreAuditLog.Action.AUTO_GRADE)
            .values("attempt_id")
            .annotate(n=Count("pk"))
        )
        graded_once = all(row["n"] == 1 for row in grade_counts) and len(grade_counts) == graded
        result = {
            "candidates": n,
            "papergen_s": round(papergen_s, 2),
            "autosave_rps": round(autosave_rps, 1),
            "baseline_upsert_rps": round(baseline_rps, 1),
            "autosave_ratio": round(autosave_rps / baseline_rps, 3) if baseline_rps else None,
            "autosave_p95_ms": round(percentile(save_ms, 95), 1) if save_ms else None,
            "start_p95_ms": round(percentile(start_ms, 95), 1) if start_ms else None,
            "acknowledged": acknowledged,
            "stored": stored,
            "lost": acknowledged - stored,
            "submitted": submitted,
            "graded": graded,
            "graded_once": graded_once,
            "failures": failures,
            "killed_web_worker": killed["web"],
            "killed_grading_process": killed["grading"],
            "requeued": requeued,
            "quick": q,
        }
    finally:
        for proc in (web, worker):
            proc.send_signal(signal.SIGTERM)
        for proc in (web, worker):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
