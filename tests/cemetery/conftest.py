"""Factories for the cemetery tests: a cemetery with chapel and crew, plots
of the tenant's seeded grave types, a funeral home account."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.resources import service as resources
from booking.tenants.models import Tenant
from cemetery.models import Cemetery, GraveType, Plot, Section


def grave_type_of(tenant: Tenant, key: str) -> GraveType:
    return db.session.scalars(
        select(GraveType).where(GraveType.tenant_id == tenant.id, GraveType.key == key)
    ).one()


@pytest.fixture
def make_cemetery(tenant: Tenant) -> Callable[..., Cemetery]:
    """``make_cemetery(name=None, *, of_tenant=None, **settings)``: a
    cemetery with its own chapel and crew resources (open around the clock;
    the cemetery's burial hours are the default Mon–Fri 9–15, Sat 9–12)."""
    counter = iter(range(1, 10_000))

    def make(name: str | None = None, *, of_tenant: Tenant | None = None, **settings) -> Cemetery:
        owner = of_tenant or tenant
        number = next(counter)
        name = name or f"Friedhof {number}"
        chapel = resources.create_resource(
            owner, None, name=f"Trauerhalle {name}", kind="chapel", capacity=80, public=False
        )
        crew = resources.create_resource(
            owner, None, name=f"Friedhofsteam {name}", kind="crew", public=False
        )
        cemetery = Cemetery(
            tenant_id=owner.id,
            name=name,
            chapel_resource_id=chapel.id,
            crew_resource_id=crew.id,
            **settings,
        )
        db.session.add(cemetery)
        db.session.commit()
        return cemetery

    return make


@pytest.fixture
def cemetery(make_cemetery) -> Cemetery:
    return make_cemetery("Friedhof Musterhausen")


@pytest.fixture
def make_plot() -> Callable[..., Plot]:
    """``make_plot(cemetery, code, grave_type="wahlgrab", *, section="B",
    **fields)``: a plot of one of the tenant's grave types, in section
    ``section`` (created when missing; None: no section)."""

    def make(
        cemetery: Cemetery,
        code: str,
        grave_type: str = "wahlgrab",
        *,
        section: str | None = "B",
        **fields,
    ) -> Plot:
        tenant = db.session.get(Tenant, cemetery.tenant_id)
        section_row = None
        if section is not None:
            section_row = db.session.scalar(
                select(Section).where(Section.cemetery_id == cemetery.id, Section.name == section)
            )
            if section_row is None:
                section_row = Section(tenant_id=tenant.id, cemetery_id=cemetery.id, name=section)
                db.session.add(section_row)
                db.session.flush()
        plot = Plot(
            tenant_id=tenant.id,
            cemetery_id=cemetery.id,
            section_id=section_row.id if section_row else None,
            grave_type_id=grave_type_of(tenant, grave_type).id,
            code=code,
            **fields,
        )
        db.session.add(plot)
        db.session.commit()
        return plot

    return make


@pytest.fixture
def funeral_home(tenant: Tenant, make_user):
    return make_user(
        "bestatter@example.org", tenant=tenant, roles=("funeral_home",), name="Bestattungen Ruhe"
    )
