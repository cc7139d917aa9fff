"""A database made by an older commit of this code, for the tests that prove a model's move to
another app keeps every row: the old code itself (`git archive` of that commit) migrates a
throwaway database and fills it; this code then migrates it with a plain `migrate`."""

import io
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import dj_database_url
import psycopg
import pytest
from django.conf import settings


def git_archive(commit: str, into: Path) -> None:
    result = subprocess.run(["git", "-C", str(settings.BASE_DIR), "archive", commit],
                            capture_output=True)
    if result.returncode != 0:
        message = f"the legacy commit {commit[:10]} is not in this checkout's git history"
        if os.environ.get("CI") or os.environ.get("SHANHUO_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
        archive.extractall(into, filter="data")


def manage(cwd: Path, env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


@pytest.fixture
def database_env(tmp_path):
    """A throwaway database of the suite's kind (PostgreSQL when DATABASE_URL is set, else an
    SQLite file, as `make run` keeps one), and the environment that points at it."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "DJANGO_SETTINGS_MODULE"}}
    env.update(DEBUG="1", MEDIA_ROOT=str(tmp_path / "media"))
    if not settings.USING_POSTGRES:
        env["SQLITE_PATH"] = str(tmp_path / "legacy.sqlite3")
        yield env
        return
    url = dj_database_url.parse(os.environ["DATABASE_URL"])
    name = f"shanhuo_legacy_{uuid.uuid4().hex[:12]}"
    server = dict(host=url["HOST"], port=url["PORT"] or 5432, user=url["USER"],
                  password=url["PASSWORD"] or None, dbname="postgres", autocommit=True)
    with psycopg.connect(**server) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"
    try:
        yield env
    finally:
        with psycopg.connect(**server) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
