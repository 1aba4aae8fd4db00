"""Exam-day benchmark: `python bench/exam_day.py --candidates N [--quick] [--workers 2 --threads 8]`.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL. Creates its own bank (reused between runs), exam,
sitting and candidates, then drives a real gunicorn server (gthread, --preload) and a real Celery
worker over HTTP:

1. Papers: a Celery worker pre-generates N + 32 papers (papergen_s).
2. Capacity: 32 clients, each on its own keep-alive connection, autosave as fast as the server
   answers (autosave_rps); then 32 psycopg async connections run the same upsert on the same rows
   (baseline_upsert_rps). Both load generators are coroutines in this one asyncio process, with
   the same concurrency, so the client's cost is small and alike on both sides of the ratio.
3. Exam day: N candidates start within the start window (start_p95_ms times the start request),
   autosave every interval (logging each acknowledged save), then submit within the submit window,
   over a pool of 64 keep-alive connections. Midway one gunicorn worker is SIGKILLed; during
   grading one Celery pool process is SIGKILLed (both are restarted by their masters). Afterwards
   every acknowledged save is checked against the database and every attempt's grading is counted.

--quick shrinks every phase (a CI smoke run: about 30 s with 50 candidates once the bank exists).
Prints progress to stderr and one JSON line last on stdout (with the 1-minute load average before
and after the exam-day phase: the machine is shared, so read the speeds with it).
"""

import argparse
import asyncio
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
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
            # Django is imported once in the master: workers (and the one SIGKILLed) fork ready.
            "--preload",
            # The heartbeat file is touched on every loop of a worker: keep it in memory, not on disk.
            "--worker-tmp-dir",
            "/dev/shm",
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


# --- Load generator -------------------------------------------------------------------------------
# One asyncio process, raw HTTP/1.1 over keep-alive connections: on these 2 shared cores the load
# generator must cost little CPU, or it measures itself rather than the server (64 client threads
# fighting for one GIL did). The psycopg baseline runs in the same process on the same event loop
# with the same concurrency, so both sides of the ratio pay the same client cost.

CSRF = secrets.token_urlsafe(24)[:32].ljust(32, "x").replace("-", "a").replace("_", "b")


class Conn:
    """One keep-alive connection; `request` returns (status, body bytes) and raises OSError-like errors."""

    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None

    async def request(self, method, path, body: bytes | None, headers: str):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + (body or b""))
        raw = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 30)
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {k.lower(): v.strip() for k, _sep, v in (line.partition(":") for line in lines[1:] if line)}
        data = await asyncio.wait_for(self.reader.readexactly(int(fields.get("content-length", 0))), 30)
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status, data

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


NET_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, asyncio.LimitOverrunError, ValueError)


class Pool:
    """Shared connections, as the threads of the old client had (latency is timed once one is free)."""

    def __init__(self, port, size):
        self.free = asyncio.Queue()
        for _ in range(size):
            self.free.put_nowait(Conn(port))

    async def request(self, method, path, body=None, headers=""):
        conn = await self.free.get()
        try:
            for attempt in range(2):
                t = time.perf_counter()
                try:
                    status, data = await conn.request(method, path, body, headers)
                    return status, data, (time.perf_counter() - t) * 1000
                except NET_ERRORS:
                    conn.close()  # e.g. the SIGKILLed worker's connections: reconnect and resend once
                    if attempt == 1:
                        raise
        finally:
            self.free.put_nowait(conn)


class Candidate:
    def __init__(self, pool, registration_id, session):
        self.pool = pool
        self.registration_id = registration_id
        self.cookie = (
            f"Cookie: {settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={CSRF}\r\n"
            f"X-CSRFToken: {CSRF}\r\nAccept: application/json\r\n"
        )
        self.attempt = None
        self.token_header = ""
        self.items = []
        self.seq = 0
        self.pending = {}
        self.acked = {}  # item -> (seq, response) of the newest acknowledged save

    async def start(self):
        status, data, ms = await self.pool.request(
            "POST", f"/exams/api/registrations/{self.registration_id}/start/", b"", self.cookie
        )
        if status != 200:
            raise RuntimeError(f"start {status} {data[:200]!r}")
        body = json.loads(data)
        self.attempt = body["attempt"]
        self.token_header = f"X-Attempt-Token: {body['token']}\r\n"
        status, data, _ms = await self.pool.request(
            "GET", f"/exams/api/attempts/{self.attempt}/state/", None, self.cookie
        )
        state = json.loads(data)
        self.items = [(i["id"], i["qtype"], [o["label"] for o in i["options"]]) for i in state["items"]]
        self.seq = state["max_seq"]
        return ms

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

    async def save(self):
        """Send every unacknowledged change; returns (latency ms, ok)."""
        entries = list(self.pending.values())
        if not entries:
            return None, True
        try:
            status, data, ms = await self.pool.request(
                "POST",
                f"/exams/api/attempts/{self.attempt}/save/",
                json.dumps({"answers": entries}).encode(),
                self.token_header,
            )
        except NET_ERRORS:
            return None, False
        if status != 200:
            return ms, False
        sent = {e["item"]: e for e in entries}
        for ack in json.loads(data)["acked"]:
            entry = sent[ack["item"]]
            if ack["seq"] == entry["seq"]:
                old = self.acked.get(ack["item"])
                if old is None or old[0] < entry["seq"]:
                    self.acked[ack["item"]] = (entry["seq"], entry["response"])
                if self.pending.get(ack["item"], {}).get("seq") == entry["seq"]:
                    del self.pending[ack["item"]]
        return ms, True

    async def submit(self):
        for _ in range(5):
            ok = (await self.save())[1]
            if ok and not self.pending:
                break
            await asyncio.sleep(0.5)
        for _ in range(5):
            try:
                status, _data, _ms = await self.pool.request(
                    "POST", f"/exams/api/attempts/{self.attempt}/submit/", b"", self.cookie
                )
                if status == 200:
                    return True
            except NET_ERRORS:
                pass
            await asyncio.sleep(0.5)
        return False


# --- Phases ---------------------------------------------------------------------------------------


async def capacity(candidates, seconds):
    rng = random.Random(1)
    for c in candidates:
        await c.start()
    stop = time.perf_counter() + seconds

    async def run(c):
        n = 0
        while time.perf_counter() < stop:
            c.change(rng)
            _ms, ok = await c.save()
            n += ok
        return n

    # Each capacity client has its own connection (a pool of one), as each baseline client has its own.
    autosave_rps = sum(await asyncio.gather(*(run(c) for c in candidates))) / seconds

    # Baseline: the same upsert on the same rows, straight from psycopg, same process, same concurrency.
    import psycopg

    db = settings.DATABASES["default"]
    dsn = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} dbname={db['NAME']} user={db['USER']}" + (
        f" password={db['PASSWORD']}" if db.get("PASSWORD") else ""
    )
    sql = services._UPSERT.format(json="%s::jsonb")
    stop = time.perf_counter() + seconds

    async def baseline(c):
        n = 0
        seq = 10**9
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
            while time.perf_counter() < stop:
                seq += 1
                item = c.items[seq % len(c.items)][0]
                now = timezone.now()
                await cur.execute(sql, [json.dumps("A"), False, seq, now, c.attempt, item, now])
                n += 1
        return n

    baseline_rps = sum(await asyncio.gather(*(baseline(c) for c in candidates))) / seconds
    return autosave_rps, baseline_rps


async def exam_day(candidates, *, start_window, duration, interval, submit_window, web, worker):
    rng = random.Random(2)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    start_ms, save_ms = [], []
    failures = {"start": 0, "save": 0, "submit": 0}
    killed = {"web": None, "grading": None}
    phase_end = t0 + start_window + duration

    async def candidate(c, start_at, submit_at, crng):
        await asyncio.sleep(start_at - loop.time())
        while True:
            try:
                start_ms.append(await c.start())
                break
            except Exception:  # noqa: BLE001 - counted, the candidate retries
                failures["start"] += 1
                await asyncio.sleep(1)
        nxt = loop.time() + crng.uniform(0, interval)
        while nxt < phase_end:
            await asyncio.sleep(nxt - loop.time())
            c.change(crng)
            ms, ok = await c.save()
            if ms is not None and ok:
                save_ms.append(ms)
            if not ok:
                failures["save"] += 1
            nxt = loop.time() + interval
        await asyncio.sleep(submit_at - loop.time())
        if not await c.submit():
            failures["submit"] += 1

    async def kill(at, key, proc, what):
        await asyncio.sleep(at - loop.time())
        targets = children(proc.pid)
        if targets:
            os.kill(targets[0], signal.SIGKILL)
            killed[key] = targets[0]
            log(f"SIGKILL {what} {targets[0]}")

    tasks = [
        candidate(
            c,
            t0 + rng.uniform(0, start_window),
            phase_end + rng.uniform(0, submit_window),
            random.Random(c.registration_id),
        )
        for c in candidates
    ]
    tasks.append(kill(t0 + start_window + duration / 2, "web", web, "web worker"))
    tasks.append(kill(phase_end + submit_window / 2, "grading", worker, "Celery pool process during grading"))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for r in results:
        if isinstance(r, Exception):
            log(f"client error: {r!r}")
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
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (one per core)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (overlap database waits)")
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        sys.exit("bench/exam_day.py needs DATABASE_URL naming PostgreSQL and REDIS_URL")
    q = args.quick
    phases = (
        {"capacity": 3, "start_window": 3, "duration": 6, "interval": 2, "submit_window": 3}
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

        async def drive():
            shared = Pool(port, 64)
            cap = [Candidate(Pool(port, 1), r, cookies[r]) for r in regs[:CAPACITY_CLIENTS]]
            day = [Candidate(shared, r, cookies[r]) for r in regs[CAPACITY_CLIENTS:]]
            autosave_rps, baseline_rps = await capacity(cap, phases["capacity"])
            log(f"capacity: autosave {autosave_rps:.0f}/s, baseline upsert {baseline_rps:.0f}/s")
            for c in cap:  # capacity clients hand in too, so they do not wait for auto-submit
                await c.submit()
            load_before = os.getloadavg()
            outcome = await exam_day(
                day,
                start_window=phases["start_window"],
                duration=phases["duration"],
                interval=phases["interval"],
                submit_window=phases["submit_window"],
                web=web,
                worker=worker,
            )
            return day, autosave_rps, baseline_rps, outcome, (load_before, os.getloadavg())

        day, autosave_rps, baseline_rps, (start_ms, save_ms, failures, killed), loads = asyncio.run(drive())
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
            "gunicorn": f"{args.workers}x{args.threads}",
            "load_avg_1m": [round(loads[0][0], 2), round(loads[1][0], 2)],  # before / after the exam-day phase
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
