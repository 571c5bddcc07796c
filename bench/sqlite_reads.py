"""Page views on the embedded default (SQLite, one process) with 8
concurrent readers: before (every transaction ``BEGIN IMMEDIATE``, so
readers queue for the write lock) and after (reading requests begin
deferred and read side by side in WAL mode).

    .venv/bin/python -m bench.sqlite_reads [--seconds 10] [--readers 8]

Seeds the feed benchmark's municipality (one hall, 5,000 dates) in a
scratch SQLite file, then lets ``readers`` threads, each with its own test
client, fetch the hall's page (this week's grid) and the catalogue for
``seconds`` seconds, once in each mode, and prints pages per second and
the median and 95th-percentile latency; then the same while one writer
(a job's batch, a booking) holds the write lock for 50 ms ten times a
second. "Before" is the old behaviour, restored for the run by making every
request count as a writing one.

Readers share one interpreter (the embedded default is one process), so
the rate without a writer is bound by the GIL either way; what deferred
reads change is that readers no longer queue behind each other's lock
(the p95) nor behind a writer's.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.booking import log, make_app
from bench.feeds import seed


def writer(url: str, stop: threading.Event) -> None:
    """Hold the write lock 50 ms, ten times a second, until ``stop``."""
    connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    connection.execute("PRAGMA busy_timeout=30000")
    while not stop.is_set():
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE tenant SET reminder_days = reminder_days")
        time.sleep(0.05)
        connection.execute("COMMIT")
        time.sleep(0.05)
    connection.close()


def hammer(app, paths: list[str], readers: int, seconds: float) -> tuple[int, list[float]]:
    stop = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(readers)]
    failures: list[str] = []

    def reader(index: int) -> None:
        client = app.test_client()
        n = index
        while time.perf_counter() < stop:
            path = paths[n % len(paths)]
            started = time.perf_counter()
            response = client.get(path)
            latencies[index].append(time.perf_counter() - started)
            if response.status_code != 200:
                failures.append(f"{path}: {response.status_code}")
            n += 1

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} failed requests, e.g. {failures[0]}")
    flat = [value for per_reader in latencies for value in per_reader]
    return len(flat), flat


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--readers", type=int, default=8)
    args = parser.parse_args()
    from flask_migrate import upgrade

    from booking import extensions

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'reads.sqlite'}"
        app = make_app(url, SERVER_NAME="localhost", BASE_URL="http://localhost")
        with app.app_context():
            upgrade()
            tenant, _clerk, hall = seed()
            paths = [f"/{tenant.slug}/halls/{hall.id}", f"/{tenant.slug}/halls/"]
        reads_only = extensions._reads_only
        modes = (("before (BEGIN IMMEDIATE)", False), ("after (deferred reads)", True))
        for with_writer in (False, True):
            for label, deferred in modes:
                extensions._reads_only = reads_only if deferred else (lambda: False)
                hammer(app, paths, args.readers, 1)  # warm up
                stop = threading.Event()
                busy = threading.Thread(target=writer, args=(url, stop))
                if with_writer:
                    busy.start()
                count, latencies = hammer(app, paths, args.readers, args.seconds)
                stop.set()
                if with_writer:
                    busy.join()
                quantiles = statistics.quantiles(latencies, n=100)
                log(
                    f"SQLite, {args.readers} readers{' + 1 writer' if with_writer else ''}, "
                    f"{label}: {count / args.seconds:,.1f} pages/s, "
                    f"p50 {quantiles[49] * 1000:.1f} ms, p95 {quantiles[94] * 1000:.1f} ms"
                )
        extensions._reads_only = reads_only


if __name__ == "__main__":
    main()
