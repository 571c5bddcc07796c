"""Print the URL of a fresh scratch PostgreSQL database for `make test`, or
nothing when no server answers on 127.0.0.1:5432.

    .venv/bin/python tools/scratch_db.py [NAME]

Connects as ``postgres`` without a password (the trust authentication of a
developer machine or CI container), drops NAME (default ``kb_make_test``)
if it exists and creates it empty. Used by the Makefile when
TEST_DATABASE_URL is not set, so a newcomer's `make test` runs the
PostgreSQL half of the suite too whenever a local server is there."""

from __future__ import annotations

import re
import sys

import psycopg

SERVER = "postgresql://postgres@127.0.0.1:5432"


def main(argv: list[str]) -> int:
    name = argv[1] if len(argv) > 1 else "kb_make_test"
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        print(f"scratch_db: not a plain database name: {name!r}", file=sys.stderr)
        return 2
    try:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute("SET client_min_messages = warning")
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"scratch_db: no PostgreSQL on 127.0.0.1:5432 ({reason})", file=sys.stderr)
        return 0
    print(f"{SERVER}/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
