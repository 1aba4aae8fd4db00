import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.settings.dev")
application = get_wsgi_application()

# Exam autosave skips Django's middleware stack (token-authenticated JSON; see exams/fastpath.py).
from exams.fastpath import with_exam_fastpath  # noqa: E402

application = with_exam_fastpath(application)
