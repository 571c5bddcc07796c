"""``cemetery.right_expiry``: mails N months before a right ends (the real
outbox), once per right and end date, extension offered where possible,
holders without e-mail left for the clerks' letters."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.jobs import registry
from booking.jobs.runner import run_job
from booking.notifications.models import OutboxMessage
from cemetery import jobs
from cemetery.models import Contact, GraveRight
from tests.outbox import composed_mail

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)  # local today: 1 March 2027


def contact(tenant, name, email=None, user=None):
    row = Contact(tenant_id=tenant.id, name=name, email=email, user_id=user.id if user else None)
    db.session.add(row)
    db.session.flush()
    return row


def right(tenant, plot, holder, end, status="active"):
    row = GraveRight(
        tenant_id=tenant.id,
        plot_id=plot.id,
        holder_id=holder.id,
        start_date=date(2000, 1, 1),
        end_date=end,
        status=status,
    )
    db.session.add(row)
    db.session.commit()
    return row


def outbox() -> list[OutboxMessage]:
    return composed_mail()


@pytest.fixture
def plots(cemetery, make_plot):
    return {
        "wahl": make_plot(cemetery, "B-1", "wahlgrab"),
        "reihe": make_plot(cemetery, "A-1", "reihengrab", section="A"),
        "far": make_plot(cemetery, "B-2", "wahlgrab"),
        "past": make_plot(cemetery, "B-3", "wahlgrab"),
        "post": make_plot(cemetery, "B-4", "wahlgrab"),
        "gone": make_plot(cemetery, "B-5", "wahlgrab"),
    }


def test_months_ahead_once_with_extension_offer(tenant, citizen, plots):
    linked = contact(tenant, "Carla Citizen", citizen.email, user=citizen)
    plain = contact(tenant, "Rudi Reihe", "rudi@example.org")
    wahl = right(tenant, plots["wahl"], linked, date(2027, 8, 31))
    reihe = right(tenant, plots["reihe"], plain, date(2027, 9, 1))  # exactly 6 months
    right(tenant, plots["far"], plain, date(2027, 9, 2))  # one day too far
    right(tenant, plots["past"], plain, date(2027, 2, 28))  # already ended: to clear
    right(tenant, plots["post"], contact(tenant, "Paula Post"), date(2027, 5, 1))
    right(tenant, plots["gone"], plain, date(2027, 5, 1), status="surrendered")

    assert jobs.send_right_expiry(NOW) == {"queued": 2, "letters": 1}
    db.session.commit()
    mails = outbox()
    assert [m.to_address for m in mails] == [citizen.email, "rudi@example.org"]
    assert mails[0].key == f"grave-right-expiry:{wahl.id}:2027-08-31"
    first, second = mails[0].body_text, mails[1].body_text
    assert "31.08.2027" in mails[0].subject
    assert "verlängern" in first and f"/{tenant.slug}/my-graves/" in first
    assert "B-1" in first and "Wahlgrab" in first
    assert "kann nach der Friedhofssatzung nicht verlängert werden" in second
    assert "my-graves" not in second
    db.session.expire_all()
    assert wahl.expiry_notified_at is not None and reihe.expiry_notified_at is not None

    # A second run sends nothing.
    assert jobs.send_right_expiry(NOW) == {"queued": 0, "letters": 1}
    db.session.commit()
    assert len(outbox()) == 2


def test_holder_without_account_is_pointed_to_the_administration(tenant, plots):
    holder = contact(tenant, "Hans Ohnekonto", "hans@example.org")
    right(tenant, plots["wahl"], holder, date(2027, 6, 1))
    jobs.send_right_expiry(NOW)
    (mail,) = outbox()
    assert "Friedhofsverwaltung" in mail.body_text and "my-graves" not in mail.body_text


def test_an_extension_makes_the_next_end_due_again(tenant, plots):
    holder = contact(tenant, "Mia Mail", "mia@example.org")
    row = right(tenant, plots["wahl"], holder, date(2027, 6, 1))
    jobs.send_right_expiry(NOW)
    db.session.commit()
    # Extended (as cemetery.rights does: a new end, the letter due anew),
    # and the new end comes within the notice months again years later.
    row.end_date = date(2032, 6, 1)
    row.expiry_notified_at = None
    db.session.commit()
    assert jobs.send_right_expiry(NOW)["queued"] == 0  # not due yet
    later = datetime(2032, 1, 10, 9, tzinfo=UTC)
    assert jobs.send_right_expiry(later)["queued"] == 1
    keys = [m.key for m in outbox()]
    assert keys == [
        f"grave-right-expiry:{row.id}:2027-06-01",
        f"grave-right-expiry:{row.id}:2032-06-01",
    ]


def test_the_same_key_is_never_sent_twice_even_if_the_mark_is_lost(tenant, plots):
    holder = contact(tenant, "Mia Mail", "mia@example.org")
    row = right(tenant, plots["wahl"], holder, date(2027, 6, 1))
    jobs.send_right_expiry(NOW)
    row.expiry_notified_at = None  # e.g. a clerk's undo
    db.session.commit()
    jobs.send_right_expiry(NOW)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_notice_months_setting(app, tenant, plots):
    holder = contact(tenant, "Mia Mail", "mia@example.org")
    right(tenant, plots["wahl"], holder, date(2027, 12, 1))  # 9 months ahead
    saved = app.config.get("CEMETERY_EXPIRY_NOTICE_MONTHS")
    try:
        assert jobs.send_right_expiry(NOW)["queued"] == 0
        app.config["CEMETERY_EXPIRY_NOTICE_MONTHS"] = 12
        assert jobs.send_right_expiry(NOW)["queued"] == 1
        app.config["CEMETERY_EXPIRY_NOTICE_MONTHS"] = "kaputt"
        assert jobs.notice_months() == 6
        app.config["CEMETERY_EXPIRY_NOTICE_MONTHS"] = 0
        assert jobs.notice_months() == 6
    finally:
        if saved is None:
            app.config.pop("CEMETERY_EXPIRY_NOTICE_MONTHS", None)
        else:
            app.config["CEMETERY_EXPIRY_NOTICE_MONTHS"] = saved


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 3, 1), 6, date(2027, 9, 1)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2027, 8, 31), 18, date(2029, 2, 28)),
        (date(2027, 12, 15), 1, date(2028, 1, 15)),
    ],
)
def test_add_months(day, months, expected):
    assert jobs.add_months(day, months) == expected


def test_other_tenants_are_written_to_by_their_own_local_day(
    tenant, make_tenant, plots, make_plot, make_cemetery
):
    other = make_tenant("anderswo")
    foreign = make_plot(make_cemetery("Waldfriedhof", of_tenant=other), "X-1", "wahlgrab")
    row = right(other, foreign, contact(other, "Fremd", "fremd@example.org"), date(2027, 4, 1))
    assert jobs.send_right_expiry(NOW)["queued"] == 1
    (mail,) = outbox()
    assert mail.tenant_id == other.id and str(row.id) in mail.key


def test_registered_and_listed(runner, tenant):
    assert "cemetery.right_expiry" in registry.JOBS
    result = runner.invoke(args=["jobs", "list"])
    assert result.exit_code == 0, result.output
    assert "cemetery.right_expiry" in result.output
    record = run_job(registry.JOBS["cemetery.right_expiry"], now=NOW)
    assert record.outcome == "ok"
