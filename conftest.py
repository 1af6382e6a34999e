"""Loaded before Django's settings: keep tests away from the user's data directory."""

import os
import tempfile

os.environ.setdefault("RELANCE_DATA_DIR", tempfile.mkdtemp(prefix="relance-tests-"))
os.environ.setdefault("RELANCE_SECRET_KEY", "tests-only-secret-key-not-for-production-0123456789")
