"""社区治理领导驾驶舱: the router and frame around every page."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from dashboard import cached
from dashboard.auth import (
    account_box,
    audit_engine,
    has_session,
    open_access_warning,
    signed_in,
)
from dashboard.context import PageContext, set_page_context
from dashboard.database import database_failed, open_database
from dashboard.filters import (
    area_filters,
    breadcrumb,
    enforce_account_scope,
    go_to_pending_page,
    language_switch,
    month_options,
    one_history_entry_per_step,
    read_language_from_url,
    read_url,
    show_url_notices,
    visible_units,
    write_url,
)
from dashboard.i18n import t
from dashboard.navigation import PAGES
from dashboard.page_style import page_style
from dashboard.ready import ready_marker
from dashboard.refusals import REFUSALS, show_refusal
from dashboard.report import draw_appendices, is_report, report_buttons, report_header
from data_access.access import record
from data_access.db import get_engine
from data_access.figures import lookups
from data_access.memory import freeze_long_lived
from data_access.settings import get_settings

st.set_page_config(
    page_title="社区治理领导驾驶舱",
    page_icon="🏘️",  # an emoji: no icon font fetched, so intranets stay quiet
    layout="wide",
)

settings = get_settings()
report = is_report()  # read before the filters rewrite the URL
read_language_from_url()
language_switch(settings.default_language)
# Navigation first, so that a first start building the demo shows the right menu meanwhile;
# hidden until someone has signed in.
sections: dict[str, list] = {}
by_path = {}  # url_path → page; the default page's own url_path is empty
for index, spec in enumerate(PAGES):
    by_path[spec.url_path] = st.Page(
        spec.path,
        title=t(spec.title_key),
        icon=spec.icon,
        url_path=spec.url_path,
        default=index == 0,
    )
    section = t(f"section.{spec.section}") if spec.section else ""
    sections.setdefault(section, []).append(by_path[spec.url_path])
page = st.navigation(sections, position="sidebar" if has_session() else "hidden")
current_path = page.url_path or PAGES[0].url_path
if current_path != "screen":  # the wall screen is laid out for one display by its own CSS
    page_style()
go_to_pending_page(by_path, current_path)

cached.install()  # every figure a page reads goes through the account check and the cache
try:
    database = open_database()  # its checks are kept for data_check_seconds
    if cached.follow_data_version(database.url, settings):
        database = open_database()  # an import changed the data: check them again
    principal = signed_in(settings, page.url_path)  # the sign-in form stops the run here
    engine = get_engine(database.url)
    all_units = lookups.units(engine)
    units = visible_units(all_units, principal)
    months = month_options(*lookups.data_months(engine))
    read_url(all_units, months)
    enforce_account_scope(
        principal,
        lambda refused: record(
            audit_engine(), "refused", principal.name, principal.scope_label, " ".join(refused)
        ),
    )

    st.sidebar.header(t("filter.title"))
    scope = cached.check_scope(area_filters(units, months, principal), "filters")
    write_url()

    context = PageContext(
        url=database.url,
        scope=scope,
        units=units,
        settings=settings,
        is_demo=database.is_demo,
        has_data=database.has_data,
        principal=principal,
    )
    set_page_context(context)
    account_box(principal, settings, context.unit_name(principal.scope_code))
    if report:
        report_header(context, page.title)
    else:
        report_buttons(
            page.url_path,
            context.file_stem(page.url_path or PAGES[0].url_path),
            context.file_stem("briefing"),
        )
    show_url_notices()
    if not report and current_path != "screen":  # the wall screen has no room to spare
        breadcrumb(context, current_path)
        one_history_entry_per_step()
    # The wall screen says it in its own header line; a report is not where it is acted on.
    if current_path != "screen" and not report:
        open_access_warning(settings)
    page.run()
    if report:
        draw_appendices()  # the long lists a report's body counted, listed whole at its end
except REFUSALS as refusal:
    # Every page, and its report, shows a refusal as one sentence; fragments see
    # dashboard/refusals.py.
    show_refusal(refusal)
except SQLAlchemyError as exc:
    database_failed(exc)
finally:
    # On every path (st.stop() and database failures included), so that a report renderer
    # waiting for it never waits for nothing.
    ready_marker()
    # The modules this run imported are taken out of the collector's sight (a full collection
    # walking them cost 0.12 s in the middle of a run; data_access/memory.py).
    freeze_long_lived()
