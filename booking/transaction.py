"""One transaction boundary for every unit of work: a web request, an API
call, a CLI command, a job.

Services only flush. The boundary commits once when the work succeeded and
rolls back otherwise:

* web requests and API calls (``init_app``): an answer below 400 commits,
  unless the view called ``fail()`` (a form shown again with a domain error);
  any other answer, and any exception, rolls back;
* CLI commands and jobs: ``with unit_of_work():`` commits when the block
  ends normally, rolls back when it raises.

Work that must only happen after a successful commit (sending queued mail,
dropping a cached feed) is registered with ``after_commit(fn)`` during the
unit of work and runs after the commit; a rollback drops it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from flask import Flask, Response, g
from flask.cli import AppGroup
from sqlalchemy.exc import InterfaceError, OperationalError

from booking.errors import render_error, unavailable
from booking.extensions import WRITES_ATTRIBUTE, db

log = logging.getLogger(__name__)


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current unit of work has committed."""
    g.setdefault("_after_commit", []).append(callback)


def writes(view: Callable) -> Callable:
    """Mark a GET view that writes (creates a payment, records a visit): on
    SQLite its transaction takes the write lock first, as a form's does.
    Put it right below the route decorator."""
    setattr(view, WRITES_ATTRIBUTE, True)
    return view


@contextmanager
def optional_write() -> Iterator[None]:
    """A write that a reading request may do but can do without (a cache
    row): in a savepoint, given up when the database is busy (SQLite: a
    deferred transaction that cannot take the write lock now). The rest of
    the request goes on."""
    g._kb_optional_write = True
    try:
        with db.session.begin_nested():
            yield
    except OperationalError as error:
        if error.connection_invalidated:
            # The connection is gone (database restarting), not busy: the
            # request cannot go on without it, so it answers 503.
            raise
        log.info("optional write skipped: %s", type(getattr(error, "orig", error)).__name__)
    finally:
        g._kb_optional_write = False


def fail() -> None:
    """The current unit of work failed (a domain error shown to the user):
    undo what it wrote now, and commit nothing at its end."""
    db.session.rollback()
    g._unit_failed = True


def finish(success: bool) -> None:
    """Commit (and run the after-commit work) or roll back, once."""
    callbacks = g.pop("_after_commit", [])
    failed = g.pop("_unit_failed", False)
    if not success or failed:
        db.session.rollback()
        return
    db.session.commit()
    for callback in callbacks:
        try:
            callback()
        except Exception:  # the commit stands; report, do not undo
            log.exception("after-commit work failed")


def checkpoint() -> None:
    """Commit what a long job has done so far (one mail delivered, one batch
    of reminders queued): a crash later does not undo it."""
    finish(True)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """A CLI command's or a job's transaction: commit at the end, or roll
    back when the block raises."""
    try:
        yield
    except BaseException:
        finish(False)
        raise
    finish(True)


class CommandGroup(AppGroup):
    """A group of CLI commands each of which is one unit of work."""

    def command(self, *args: Any, **kwargs: Any) -> Callable:  # type: ignore[override]
        def decorator(f: Callable) -> Callable:
            @wraps(f)
            def run(*f_args: Any, **f_kwargs: Any) -> Any:
                with unit_of_work():
                    return f(*f_args, **f_kwargs)

            return AppGroup.command(self, *args, **kwargs)(run)

        return decorator


def init_app(app: Flask) -> None:
    @app.after_request
    def _end_of_request(response: Response) -> Response:
        try:
            finish(response.status_code < 400)
        except (OperationalError, InterfaceError) as error:
            return unavailable(error)
        except Exception:
            db.session.rollback()
            log.exception("commit failed at the end of the request")
            return app.make_response(render_error(500))
        return response
