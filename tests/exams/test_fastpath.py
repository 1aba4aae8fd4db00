"""The WSGI fast path for autosave behaves exactly like the Django view."""

import io
import json

import pytest

from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections

from exams import services
from exams.fastpath import with_exam_fastpath
from exams.models import Answer
from exams.views import attempt_token
from tests.exams.factories import make_pool, ready_sitting

pytestmark = pytest.mark.django_db


def call(app, path, body: bytes, token="", method="POST"):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "HTTP_X_ATTEMPT_TOKEN": token,
        "HTTP_HOST": "testserver",
    }
    captured = {}

    def start_response(status, headers):
        captured["status"] = int(status.split()[0])
        captured["headers"] = dict(headers)

    # As Django's test client does: the request signals must not close the test's connection
    # (it holds the test transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        data = b"".join(app(environ, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return captured["status"], json.loads(data) if data.startswith(b"{") else data


def test_fastpath_saves_refuses_and_passes_other_requests_on():
    make_pool(n=10)
    _sitting, (reg, other) = ready_sitting(candidates=2)
    attempt = services.attempt_start(registration=reg)
    item = attempt.paper.items.first()
    app = with_exam_fastpath(WSGIHandler())
    body = json.dumps({"answers": [{"item": item.pk, "response": "A", "seq": 2}]}).encode()
    status, data = call(app, f"/exams/api/attempts/{attempt.pk}/save/", body, attempt_token(attempt))
    assert status == 200 and data["acked"] == [{"item": item.pk, "seq": 2}]
    older = json.dumps({"answers": [{"item": item.pk, "response": "B", "seq": 1}]}).encode()
    call(app, f"/en/exams/api/attempts/{attempt.pk}/save/", older, attempt_token(attempt))
    assert Answer.objects.get().response == "A"
    status, data = call(app, f"/exams/api/attempts/{attempt.pk}/save/", body, "forged")
    assert status == 403 and data["error"] == "考试会话无效：请刷新页面。"
    status, data = call(app, f"/en/exams/api/attempts/{attempt.pk}/save/", b"{", attempt_token(attempt))
    assert status == 400 and data["error"] == "The request is not valid."
    other_attempt = services.attempt_start(registration=other)
    status, _data = call(app, f"/exams/api/attempts/{other_attempt.pk}/save/", body, attempt_token(attempt))
    assert status == 403
    # Anything else is Django's: a GET of the same path is refused by the view's require_POST.
    status, _data = call(app, f"/exams/api/attempts/{attempt.pk}/save/", b"", attempt_token(attempt), method="GET")
    assert status == 405
