"""Settings for the test suite: labbet.settings with a fixed key, fast hashing, plain statics."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "labbet-tests-only-" + "x" * 40)
os.environ.setdefault("LABBET_VAR_DIR", tempfile.mkdtemp(prefix="labbet-test-var-"))

from labbet.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# Tests read English unless they ask for Swedish (the product's default is Swedish).
LANGUAGE_CODE = "en"
# The abuse limits count in the process's cache, which outlives each test (and primary keys
# repeat after each test's rollback): the suite runs without them, and tests/test_limits.py
# sets the ones it checks with override_settings.
LABBET_RATE_LIMITS: dict = {}
# Similar posts are compared inline after commit: a test sees the outcome before it looks.
LABBET_SIMILAR_IN_BACKGROUND = False
