"""The Celery app: the system's own clock and pipelines (see docs/ARCHITECTURE.md).

Start a worker from the repository root with
    PYTHONPATH=.:site celery -A academy worker -l info
and the clock with `celery -A academy beat`.
"""

import os
import sys
from pathlib import Path

from celery import Celery

_repo = Path(__file__).resolve().parent.parent.parent
for path in (str(_repo), str(_repo / "site")):
    if path not in sys.path:
        sys.path.insert(0, path)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.settings.dev")

app = Celery("academy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
