"""Jobs: the record of every run, ``flask jobs``, one scheduler at a time,
and the admins' Jobs page."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text

from booking.extensions import db
from booking.jobs import Job, registry, scheduler
from booking.jobs.models import JobRun
from booking.jobs.runner import run_job
from booking.notifications.service import queue_mail
from booking.tenants.service import create_tenant

API_JOB_IDS = {"mail.deliver", "reminders.bookings", "retention.anonymise"}


def runs() -> list[JobRun]:
    db.session.expire_all()
    return list(db.session.scalars(select(JobRun).order_by(JobRun.id)))


def test_a_run_is_recorded_with_its_counts(app):
    job = Job("probe.ok", lambda now: {"done": 2}, "Probe")
    record = run_job(job, manual=True)
    (stored,) = runs()
    assert stored.id == record.id
    assert (stored.job_id, stored.outcome, stored.counts, stored.manual) == (
        "probe.ok",
        "ok",
        {"done": 2},
        True,
    )
    assert stored.finished_at >= stored.started_at


def test_a_failing_job_is_recorded_and_keeps_nothing(app, caplog):
    def fails(now):
        create_tenant("halb-fertig", "Halb")
        raise RuntimeError("kaputt")

    record = run_job(Job("probe.fails", fails, "Probe"))
    assert record.outcome == "failed" and record.error == "RuntimeError: kaputt"
    assert record.error_kind == "RuntimeError"
    assert "job probe.fails failed" in caplog.text
    assert db.session.execute(text("SELECT count(*) FROM tenant")).scalar() == 0
    # The next run tries again.
    assert run_job(Job("probe.fails", lambda now: None, "Probe")).outcome == "ok"


def test_jobs_list_names_one_job_a_line_first(runner):
    result = runner.invoke(args=["jobs", "list"])
    assert result.exit_code == 0, result.output
    ids = {line.split("\t")[0] for line in result.output.splitlines()}
    assert ids >= API_JOB_IDS
    assert ids == set(registry.JOBS)
    assert "next " in result.output


def test_jobs_run_once_runs_records_and_exits(runner, tenant):
    queue_mail("k1", "a@example.org", "Betreff", "Text", tenant=tenant)
    db.session.commit()
    result = runner.invoke(args=["jobs", "run-once", "mail.deliver"])
    assert result.exit_code == 0, result.output
    assert "mail.deliver: ok" in result.output
    (record,) = runs()
    assert record.job_id == "mail.deliver" and record.manual


@pytest.mark.parametrize("job_id", ["nope", "", "mail.deliver; rm -rf /"])
def test_jobs_run_once_refuses_an_unknown_job(runner, job_id):
    result = runner.invoke(args=["jobs", "run-once", job_id])
    assert result.exit_code == 2
    assert "unknown job" in result.output
    assert runs() == []


# --- one scheduler at a time ----------------------------------------------------------------


def _scheduler(app, name: str, ran: list[str]) -> tuple[threading.Thread, threading.Event]:
    job = Job("probe.tick", lambda now: ran.append(name) or {}, "Probe", schedule={"seconds": 1})
    stop = threading.Event()
    thread = threading.Thread(
        target=scheduler.run, args=(app,), kwargs={"stop": stop, "jobs": [job]}, daemon=True
    )
    thread.start()
    return thread, stop


def _wait_for(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_second_scheduler_waits_and_takes_over(app, monkeypatch):
    db.session.commit()
    monkeypatch.setitem(app.config, "SCHEDULER_POLL_SECONDS", 1)
    ran: list[str] = []
    first, stop_first = _scheduler(app, "first", ran)
    assert _wait_for(lambda: "first" in ran)
    second, stop_second = _scheduler(app, "second", ran)
    try:
        time.sleep(2.5)
        assert "second" not in ran, "two schedulers ran at once"
        stop_first.set()  # the first one goes away
        first.join(10)
        assert _wait_for(lambda: "second" in ran), "the second scheduler did not take over"
    finally:
        stop_first.set()
        stop_second.set()
        second.join(10)


@pytest.mark.postgres_only
def test_a_scheduler_whose_connection_dies_lets_the_other_take_over(app):
    """PostgreSQL: the advisory lock goes with the connection (a crashed or
    killed process); the waiting scheduler takes over."""
    db.session.commit()
    lock_a, lock_b = scheduler.PostgresLock(app), scheduler.PostgresLock(app)
    try:
        assert lock_a.acquire()
        assert not lock_b.acquire()
        pid = lock_a.backend_pid()
        with db.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert not lock_a.held()
        assert _wait_for(lock_b.acquire, 5)
    finally:
        lock_a.release()
        lock_b.release()


# --- the admins' pages ------------------------------------------------------------------------


def test_the_jobs_page_shows_the_last_runs_to_admins_only(
    client, login, make_user, tenant, make_tenant
):
    run_job(Job("mail.deliver", lambda now: {"sent": 4}, "-"))
    run_job(Job("mail.deliver", lambda now: (_ for _ in ()).throw(OSError("geheim@x")), "-"))
    other = make_tenant("nachbarort")
    clerk = make_user(tenant=tenant, roles=["clerk"])
    foreign_admin = make_user(tenant=other, roles=["admin"])
    admin = make_user(tenant=tenant, roles=["admin"])
    for person, status in ((clerk, 403), (foreign_admin, 403)):
        login(person)
        assert client.get(f"/{tenant.slug}/admin/jobs").status_code == status
        client.post("/account/logout")
    assert client.get(f"/{tenant.slug}/admin/jobs").status_code == 302  # anonymous: sign in
    login(admin)
    page = client.get(f"/{tenant.slug}/admin/jobs").get_data(as_text=True)
    assert "Postausgang per SMTP zustellen" in page and "mail.deliver" in page
    assert "fehlgeschlagen" in page and "OSError" in page
    assert "verschickt: 4" in page
    assert "geheim@x" not in page  # an error's text may name other people's data
    assert client.get("/gibt-es-nicht/admin/jobs").status_code == 404


def test_send_again_puts_a_failed_mail_of_this_tenant_back(
    client, login, make_user, tenant, make_tenant
):
    other = make_tenant("nachbarort")
    mine = queue_mail("k1", "a@example.org", "Hier", "Text", tenant=tenant)
    theirs = queue_mail("k2", "b@example.org", "Dort", "Text", tenant=other)
    personal = queue_mail("k3", "c@example.org", "Konto", "Text", personal=True)
    for message in (mine, theirs, personal):
        message.status, message.attempts, message.last_error = "failed", 8, "550 nein"
    db.session.commit()
    base = f"/{tenant.slug}/admin/outbox"
    login(make_user(tenant=tenant, roles=["clerk"]))
    assert client.post(f"{base}/{mine.id}/send-again").status_code == 403
    client.post("/account/logout")

    login(make_user(tenant=tenant, roles=["admin"]))
    page = client.get(base).get_data(as_text=True)
    assert "Erneut senden" in page and "550 nein" in page
    assert client.post(f"{base}/{theirs.id}/send-again").status_code == 404
    assert client.post(f"{base}/{personal.id}/send-again").status_code == 404
    assert client.post(f"{base}/999999/send-again").status_code == 404
    assert client.post(f"{base}/x/send-again").status_code == 404
    assert client.post(f"{base}/{mine.id}/send-again").status_code == 302
    db.session.expire_all()
    assert (mine.status, mine.attempts) == ("queued", 0)
    assert theirs.status == personal.status == "failed"
