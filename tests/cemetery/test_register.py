"""The register's services: cemeteries, sections, plots (single and rows),
grave types, name keys, and the derived plot status in each of its six
states, set-based for many plots."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.core import Forbidden, ValidationFailed
from booking.extensions import db
from booking.resources.models import Resource
from cemetery import register
from cemetery.models import Burial, Cemetery, GraveRight, Plot, Section
from tests.cemetery.conftest import grave_type_of

TODAY = date(2027, 6, 15)


def add_burial(plot, *, kind="coffin", buried=date(2020, 5, 4), rest_until=None, **fields):
    burial = Burial(
        tenant_id=plot.tenant_id,
        cemetery_id=plot.cemetery_id,
        plot_id=plot.id,
        kind=kind,
        place=fields.pop("place", 1),
        deceased_name=fields.pop("name", "Erika Muster"),
        deceased_name_key="erika muster",
        deceased_died=fields.pop("died", buried),
        burial_date=buried,
        rest_until=rest_until or date(buried.year + 25, buried.month, buried.day),
        status=fields.pop("status", "done"),
        **fields,
    )
    db.session.add(burial)
    db.session.commit()
    return burial


def add_right(plot, holder_name="Hans Halter", *, start=date(2020, 5, 4), end=date(2050, 5, 4)):
    from cemetery.models import Contact

    holder = Contact(tenant_id=plot.tenant_id, name=holder_name)
    right = GraveRight(
        tenant_id=plot.tenant_id, plot_id=plot.id, holder=holder, start_date=start, end_date=end
    )
    db.session.add(right)
    db.session.commit()
    return right


# --- name keys, today ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Müller", "muller"),
        ("STRAßE", "strasse"),
        ("  José   María\tÑúñez ", "jose maria nunez"),
        ("Groß", "gross"),
        ("", ""),
    ],
)
def test_name_key_folds_case_accents_and_whitespace(name, key):
    assert register.name_key(name) == key


def test_local_today_is_the_tenants_date(app, tenant):
    # 23:30 UTC on 31 December is already New Year in Berlin.
    now = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert register.local_today(tenant, now) == date(2027, 1, 1)


# --- cemeteries ----------------------------------------------------------------------


def test_create_cemetery_makes_chapel_and_crew_and_audits(app, tenant, clerk):
    cemetery = register.create_cemetery(
        tenant, clerk, name="Waldfriedhof", address="Am Wald 1", rest_years_urn=15
    )
    db.session.commit()
    assert cemetery.rest_years_urn == 15
    assert cemetery.chapel.name == "Trauerhalle Waldfriedhof" and cemetery.chapel.kind == "chapel"
    assert cemetery.crew.name == "Friedhofsteam Waldfriedhof" and cemetery.crew.kind == "crew"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "cemetery.create"))


def test_create_cemetery_uses_given_resources_of_the_right_kind(
    app, tenant, make_resource, make_tenant
):
    chapel = make_resource("Kapelle", "chapel")
    crew = make_resource("Bauhof", "crew")
    cemetery = register.create_cemetery(
        tenant, None, name="Alter Friedhof", chapel_resource_id=chapel.id, crew_resource_id=crew.id
    )
    assert (cemetery.chapel_resource_id, cemetery.crew_resource_id) == (chapel.id, crew.id)
    hall = make_resource("Bürgerhaus", "hall")
    with pytest.raises(ValidationFailed) as refusal:
        register.create_cemetery(tenant, None, name="X", chapel_resource_id=hall.id)
    assert "chapel_resource_id" in refusal.value.fields
    other = make_tenant("andere")
    foreign = make_resource("Fremde Kapelle", "chapel", of_tenant=other)
    with pytest.raises(ValidationFailed) as refusal:
        register.create_cemetery(tenant, None, name="Y", chapel_resource_id=foreign.id)
    assert "chapel_resource_id" in refusal.value.fields


def test_create_cemetery_refuses_bad_settings_and_writes_nothing(app, tenant):
    with pytest.raises(ValidationFailed) as refusal:
        register.create_cemetery(
            tenant,
            None,
            name="  ",
            rest_years_coffin=0,
            burials_per_day="viele",
            burial_hours={"0": [[900, 540]]},
        )
    assert set(refusal.value.fields) == {
        "name",
        "rest_years_coffin",
        "burials_per_day",
        "burial_hours",
    }
    db.session.rollback()
    assert db.session.scalar(select(Resource.id).where(Resource.kind == "chapel")) is None


def test_cemetery_names_are_unique_per_tenant(app, tenant, cemetery):
    with pytest.raises(ValidationFailed) as refusal:
        register.create_cemetery(tenant, None, name=cemetery.name.upper())
    assert "name" in refusal.value.fields


@pytest.mark.parametrize("again", ["FRIEDHOF ÜBACH-PALENBERG", "friedhof  übach-palenberg"])
def test_a_cemetery_name_differing_only_in_case_is_taken_on_both_databases(app, tenant, again):
    register.create_cemetery(tenant, None, name="Friedhof Übach-Palenberg")
    with pytest.raises(ValidationFailed) as refusal:
        register.create_cemetery(tenant, None, name=again)
    assert "name" in refusal.value.fields


def test_only_staff_create_cemeteries(app, tenant, citizen, funeral_home):
    for user in (citizen, funeral_home):
        with pytest.raises(Forbidden):
            register.create_cemetery(tenant, user, name="Nein")


def test_update_cemetery_changes_settings_and_audits(app, tenant, clerk, cemetery):
    register.update_cemetery(
        tenant,
        clerk,
        cemetery,
        burial_hours={"0": [[480, 720]], "4": [[600, 660]]},
        lead_days_coffin=4,
        child_age=12,
    )
    db.session.commit()
    assert cemetery.burial_hours == {"0": [[480, 720]], "4": [[600, 660]]}
    assert (cemetery.lead_days_coffin, cemetery.child_age) == (4, 12)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "cemetery.update"))
    assert entry.before["lead_days_coffin"] == 3 and entry.after["lead_days_coffin"] == 4


@pytest.mark.parametrize(
    "hours",
    [
        {"7": [[540, 600]]},
        {"0": [[540, 1500]]},
        {"0": [[540, 700], [650, 800]]},
        {"0": "9-15"},
        [["540", "600"]],
        {"0": [[True, 600]]},
    ],
)
def test_bad_burial_hours_are_refused(app, tenant, cemetery, hours):
    with pytest.raises(ValidationFailed) as refusal:
        register.update_cemetery(tenant, None, cemetery, burial_hours=hours)
    assert "burial_hours" in refusal.value.fields


# --- grave types ---------------------------------------------------------------------


def test_grave_types_are_seeded_and_found_by_key(app, tenant):
    keys = {t.key for t in register.grave_types(tenant)}
    assert {"reihengrab", "wahlgrab", "urnenfeld_anonym", "kindergrab"} <= keys
    assert register.grave_type_by_key(tenant, "Wahlgrab").key == "wahlgrab"
    for bad in ("gibtsnicht", "", None, 3):
        with pytest.raises(ValidationFailed) as refusal:
            register.grave_type_by_key(tenant, bad)
        assert "grave_type" in refusal.value.fields


def test_grave_type_of_another_tenant_is_unknown(app, tenant, make_tenant, cemetery):
    other = make_tenant("andere")
    with pytest.raises(ValidationFailed):
        register.create_plot(
            tenant, None, cemetery, code="A-1", grave_type=grave_type_of(other, "wahlgrab")
        )


def test_admins_add_and_change_grave_types(app, tenant, admin, clerk):
    kind = register.create_grave_type(
        tenant,
        admin,
        {
            "key": "urnengemeinschaft",
            "name": "Urnengemeinschaftsgrab",
            "coffin_places": 0,
            "urn_places": 8,
            "default_term_years": 20,
            "cemetery_care": True,
        },
    )
    assert kind.urn_places == 8 and kind.cemetery_care
    register.update_grave_type(tenant, admin, kind, {"extendable": True, "urn_places": 10})
    assert kind.extendable and kind.urn_places == 10
    with pytest.raises(Forbidden):
        register.update_grave_type(tenant, clerk, kind, {"extendable": False})
    with pytest.raises(ValidationFailed) as refusal:
        register.create_grave_type(
            tenant,
            admin,
            {
                "key": "wahlgrab",
                "name": "Doppelt",
                "coffin_places": 0,
                "urn_places": 0,
                "default_term_years": 0,
            },
        )
    assert {"key", "default_term_years", "coffin_places"} <= set(refusal.value.fields)


# --- plots ---------------------------------------------------------------------------


def test_create_plot_with_section_and_unique_code(app, tenant, clerk, cemetery):
    plot = register.create_plot(
        tenant,
        clerk,
        cemetery,
        code="B-04-12",
        grave_type="wahlgrab",
        section="B",
        row="04",
        number="12",
        x=10,
        y=20,
    )
    db.session.commit()
    assert plot.section.name == "B" and plot.sort_key == 4 * 100_000 + 12
    assert plot.coffin_capacity == 2 and plot.urn_capacity == 4
    with pytest.raises(ValidationFailed) as refusal:
        register.create_plot(tenant, clerk, cemetery, code="B-04-12", grave_type="wahlgrab")
    assert "code" in refusal.value.fields


def test_create_plot_refuses_bad_input(app, tenant, cemetery):
    with pytest.raises(ValidationFailed) as refusal:
        register.create_plot(
            tenant, None, cemetery, code="", grave_type="nix", x=-1, width=0, section="S" * 41
        )
    assert {"code", "grave_type", "x", "width", "section"} <= set(refusal.value.fields)


def test_create_plot_row(app, tenant, clerk, cemetery):
    plots = register.create_plot_row(
        tenant,
        clerk,
        cemetery,
        section="C",
        row="02",
        first=5,
        count=3,
        grave_type="reihengrab",
        x=100,
        y=50,
        step=15,
    )
    db.session.commit()
    assert [p.code for p in plots] == ["C-02-05", "C-02-06", "C-02-07"]
    assert [(p.x, p.y) for p in plots] == [(100, 50), (115, 50), (130, 50)]
    assert len({p.section_id for p in plots}) == 1
    # Overlapping the row refuses all of it.
    with pytest.raises(ValidationFailed) as refusal:
        register.create_plot_row(
            tenant,
            clerk,
            cemetery,
            section="C",
            row="02",
            first=7,
            count=3,
            grave_type="reihengrab",
        )
    assert "C-02-07" in str(refusal.value.fields["first"][0])
    db.session.rollback()
    assert db.session.scalar(select(Plot.id).where(Plot.code == "C-02-08")) is None


@pytest.mark.parametrize("count", [0, 501, "x", None])
def test_create_plot_row_refuses_bad_counts(app, tenant, cemetery, count):
    with pytest.raises(ValidationFailed) as refusal:
        register.create_plot_row(
            tenant,
            None,
            cemetery,
            section="C",
            row="1",
            first=1,
            count=count,
            grave_type="reihengrab",
        )
    assert "count" in refusal.value.fields


def test_get_section_creates_only_when_asked(app, tenant, cemetery):
    assert register.get_section(tenant, cemetery, "Z") is None
    section = register.get_section(tenant, cemetery, "Z", create=True)
    assert register.get_section(tenant, cemetery, "Z").id == section.id
    assert (
        db.session.scalar(select(Section.cemetery_id).where(Section.id == section.id))
        == cemetery.id
    )


def test_block_needs_a_reason(app, tenant, clerk, cemetery, make_plot):
    plot = make_plot(cemetery, "A-1")
    with pytest.raises(ValidationFailed) as refusal:
        register.block_plot(tenant, clerk, plot, blocked=True, reason=" ")
    assert "reason" in refusal.value.fields
    register.block_plot(tenant, clerk, plot, blocked=True, reason="Baum umgestürzt")
    assert plot.blocked and plot.blocked_reason == "Baum umgestürzt"
    register.block_plot(tenant, clerk, plot, blocked=False)
    assert not plot.blocked and plot.blocked_reason is None


# --- status --------------------------------------------------------------------------


@pytest.fixture
def six(cemetery, make_plot):
    """One plot in each of the six states on TODAY."""
    free = make_plot(cemetery, "S-01")
    reserved = make_plot(cemetery, "S-02")
    add_right(reserved)
    occupied = make_plot(cemetery, "S-03")
    add_right(occupied)
    add_burial(occupied, buried=date(2020, 5, 4))  # rests until 2045
    rest_ended = make_plot(cemetery, "S-04")
    add_right(rest_ended, start=date(1990, 1, 1), end=date(2040, 1, 1))
    add_burial(rest_ended, buried=date(1990, 1, 1), rest_until=date(2015, 1, 1))
    expired = make_plot(cemetery, "S-05")
    add_right(expired, start=date(1990, 1, 1), end=date(2020, 1, 1))
    add_burial(expired, buried=date(1990, 1, 1), rest_until=date(2015, 1, 1))
    blocked = make_plot(cemetery, "S-06", blocked=True, blocked_reason="Wegebau")
    add_right(blocked)
    return {
        "free": free,
        "reserved": reserved,
        "occupied": occupied,
        "rest_ended": rest_ended,
        "expired": expired,
        "blocked": blocked,
    }


def test_plot_status_in_each_of_the_six_states(app, tenant, six):
    statuses = register.plot_statuses(tenant, [p.id for p in six.values()], TODAY)
    assert {status: statuses[plot.id] for status, plot in six.items()} == {s: s for s in six}


def test_rest_period_counts_to_its_last_day(app, tenant, cemetery, make_plot):
    plot = make_plot(cemetery, "R-1")
    add_right(plot, start=date(2000, 1, 1), end=date(2030, 1, 1))
    add_burial(plot, buried=date(2002, 6, 15), rest_until=TODAY)
    assert register.plot_statuses(tenant, [plot.id], TODAY)[plot.id] == "occupied"
    day_after = date(2027, 6, 16)
    assert register.plot_statuses(tenant, [plot.id], day_after)[plot.id] == "rest_ended"


def test_cancelled_burials_do_not_occupy(app, tenant, cemetery, make_plot):
    plot = make_plot(cemetery, "R-2")
    add_right(plot)
    add_burial(plot, buried=date(2027, 6, 1), status="cancelled")
    assert register.plot_statuses(tenant, [plot.id], TODAY)[plot.id] == "reserved"


def test_a_new_right_over_old_burials_is_reserved(app, tenant, cemetery, make_plot):
    plot = make_plot(cemetery, "R-3")
    add_burial(plot, buried=date(1980, 1, 1), rest_until=date(2005, 1, 1))
    assert register.plot_statuses(tenant, [plot.id], TODAY)[plot.id] == "free"
    add_right(plot, start=date(2027, 1, 1), end=date(2057, 1, 1))
    assert register.plot_statuses(tenant, [plot.id], TODAY)[plot.id] == "reserved"


def test_plot_statuses_take_a_select_and_one_query(app, tenant, cemetery, six, count_queries):
    ids = select(Plot.id).where(Plot.cemetery_id == cemetery.id)
    _ = tenant.id  # loaded before counting
    with count_queries() as queries:
        statuses = register.plot_statuses(tenant, ids, TODAY)
    assert len(statuses) == 6 and len(queries) == 1


def test_plot_statuses_of_many_plots_stay_few_queries(app, tenant, cemetery, count_queries):
    register.create_plot_row(
        tenant, None, cemetery, section="M", row="1", first=1, count=500, grave_type="reihengrab"
    )
    register.create_plot_row(
        tenant, None, cemetery, section="M", row="2", first=1, count=500, grave_type="reihengrab"
    )
    db.session.commit()
    ids = list(db.session.scalars(select(Plot.id)))
    _ = tenant.id
    register.STATUS_CHUNK, old = 400, register.STATUS_CHUNK
    try:
        with count_queries() as queries:
            statuses = register.plot_statuses(tenant, ids, TODAY)
    finally:
        register.STATUS_CHUNK = old
    assert len(statuses) == 1000 and set(statuses.values()) == {"free"}
    assert len(queries) == 3  # 1000 ids in chunks of 400


def test_plot_statuses_ignore_other_tenants(app, tenant, make_tenant, make_cemetery, make_plot):
    other = make_tenant("andere")
    foreign = make_plot(make_cemetery(of_tenant=other), "F-1")
    assert register.plot_statuses(tenant, [foreign.id], TODAY) == {}


def test_list_plots_filters_and_orders(app, tenant, cemetery, six, make_plot):
    make_plot(cemetery, "A-01", "reihengrab", section="A")
    listed = register.list_plots(tenant, cemetery, today=TODAY)
    assert [p.code for p, _ in listed][:2] == ["A-01", "S-01"]  # section A before B
    assert [
        p.code for p, _ in register.list_plots(tenant, cemetery, status="free", today=TODAY)
    ] == [
        "A-01",
        "S-01",
    ]
    assert [
        p.code
        for p, _ in register.list_plots(tenant, cemetery, grave_type="reihengrab", today=TODAY)
    ] == ["A-01"]
    section = register.get_section(tenant, cemetery, "B")
    assert len(register.list_plots(tenant, cemetery, section_id=section.id, today=TODAY)) == 6


# --- places --------------------------------------------------------------------------


def test_free_place_counts_places_per_kind(app, tenant, cemetery, make_plot):
    plot = make_plot(cemetery, "P-1", "wahlgrab")  # 2 coffins, 4 urns
    assert register.free_place(plot, "coffin", TODAY) == 1
    add_burial(plot, buried=date(2020, 1, 1), place=1)
    assert register.free_place(plot, "coffin", TODAY) == 2
    add_burial(plot, buried=date(2021, 1, 1), place=2)
    assert register.free_place(plot, "coffin", TODAY) is None
    assert register.free_place(plot, "urn", TODAY) == 1
    # After the first rest period its place is free again.
    assert register.free_place(plot, "coffin", date(2045, 1, 2)) == 1
    urn_grave = make_plot(cemetery, "P-2", "urnenreihengrab")
    assert register.free_place(urn_grave, "coffin", TODAY) is None
    with pytest.raises(ValidationFailed):
        register.free_place(plot, "sarg", TODAY)


def test_cemetery_model_defaults(app, cemetery):
    assert isinstance(cemetery, Cemetery) and cemetery.rest_years_coffin == 25
