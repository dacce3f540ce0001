"""What changed since the month before (data_access/figures/overview.py:month_change), on the small
city with three hires and nine departures in June 2025 (tests/small_city.py).

    June 2025 (AS_OF)                          May 2025 (the month before)
    东街道 990101001: 23 + 3 hired = 26 / 14,000    23 / 14,000 = 16.43 (close)
                      = 18.57 per 10,000 (meets)
    西街道 990101002: 50 / 36,000 = 13.89 (below)   50 + 9 who left in June = 59 / 36,000
                                                    = 16.39 (close)
    甲区 990101:      76 / 50,000 = 15.2 (below)    82 / 50,000 = 16.4 (close)
    乙区 990102:      10 / 5,001 = 20.0 (meets)     the same
    city:             86 / 55,001                   92 / 55,001

The small city's own edge cases (a start on AS_OF, an end on AS_OF) cancel out between the two
month ends. Work items of 一社区 (the only burden series of 甲区): 40 in May, 60 in June against the
baseline 100, a reduction of 60 % then 40 %: −20.0 points.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, insert

from dashboard.headline import change_sentence
from data_access.db import make_engine
from data_access.figures.overview import month_change
from data_access.models import StaffMember
from data_access.scope import Scope
from tests.small_city import AS_OF, LONG_AGO, refresh_all_summaries
from tests.test_pages import run_app

HIRED_ON = dt.date(2025, 6, 10)
LEFT_ON = dt.date(2025, 6, 15)


def _staff(code: str, community: str, start: dt.date, end: dt.date | None) -> dict[str, object]:
    return {
        "staff_code": code,
        "community_code": community,
        "role": "staff",
        "certificate": "none",
        "birth_year": 1985,
        "start_date": start,
        "end_date": end,
        "grid_code": None,
    }


def add_june_changes(engine: Engine) -> None:
    hired = [_staff(f"H{n:07d}", "990101001001", HIRED_ON, None) for n in range(3)]
    left = [_staff(f"L{n:07d}", "990101002001", LONG_AGO, LEFT_ON) for n in range(9)]
    with engine.begin() as connection:
        connection.execute(insert(StaffMember), hired + left)
        refresh_all_summaries(connection)


@pytest.fixture
def changed_city(city_url: str) -> Iterator[str]:
    engine = make_engine(city_url)
    add_june_changes(engine)
    engine.dispose()
    yield city_url


def test_the_month_before_of_a_district(changed_city, settings):
    engine = make_engine(changed_city)
    change = month_change(engine, Scope("990101", AS_OF), settings)
    engine.dispose()
    assert change is not None
    assert change.workers == 76 - 82
    assert change.per_10k == pytest.approx((76 - 82) / 50_000 * 10_000)  # −1.2
    assert [(c.name, c.threshold, c.upward) for c in change.fell] == [("西街道", 16.2, False)]
    assert [(c.name, c.threshold, c.upward) for c in change.rose] == [("东街道", 18.0, True)]
    assert change.fell[0].before == pytest.approx(59 / 36_000 * 10_000)
    assert change.fell[0].now == pytest.approx(50 / 36_000 * 10_000)
    assert change.category == "work_items"
    assert change.reduction == pytest.approx((100 - 60) / 100 - (100 - 40) / 100)


EXPECTED = {
    ("990101", "zh"): "本月净减社区工作者6人，每万人-1.2；西街道跌破16.2；东街道达到18；"
    "工作事项精简率-20.0个百分点。",
    ("990101", "en"): "This month 6 fewer community workers, -1.2 per 10,000; 西街道 fell below "
    "16.2; 东街道 reached 18; Work items reduction -20.0 points.",
    # (86 − 92) / 55,001 × 10,000 = −1.09; 甲区 from 16.4 (close) to 15.2 (below).
    (None, "zh"): "本月净减社区工作者6人，每万人-1.1；甲区跌破16.2；工作事项精简率-20.0个百分点。",
    (None, "en"): "This month 6 fewer community workers, -1.1 per 10,000; 甲区 fell below 16.2; "
    "Work items reduction -20.0 points.",
}


@pytest.mark.parametrize(("code", "language"), list(EXPECTED))
def test_the_line_in_both_languages(changed_city, settings, code, language):
    engine = make_engine(changed_city)
    scope = Scope(code, AS_OF)
    line = change_sentence(month_change(engine, scope, settings), scope.breakdown_level, language)
    engine.dispose()
    assert line == EXPECTED[(code, language)]


def test_a_month_without_change_says_so_and_nothing_crossed(small_city, settings):
    # The small city alone: one start on AS_OF and one end on AS_OF, nothing else.
    scope = Scope("990101001", AS_OF)
    change = month_change(small_city, scope, settings)
    assert change is not None and change.workers == 0 and not change.fell and not change.rose
    assert change_sentence(change, scope.breakdown_level, "zh") == (
        "本月社区工作者人数持平；工作事项精简率-20.0个百分点。"
    )


def test_no_line_in_the_first_month_of_data(small_city, settings):
    first = Scope(None, dt.date(2025, 1, 31))  # burden data start in January 2025
    assert month_change(small_city, first, settings) is None
    assert change_sentence(None, "district", "zh") is None
    assert month_change(small_city, Scope(None, dt.date(2025, 2, 28)), settings) is not None


def test_more_than_three_names_are_counted():
    from data_access.figures.overview import Crossing, MonthChange

    fell = tuple(Crossing(str(n), f"{n}街道", 17.0, 15.0, 16.2, False) for n in range(5))
    change = MonthChange(12, 0.3, fell, (), None, None)
    assert change_sentence(change, "street", "zh") == (
        "本月净增社区工作者12人，每万人+0.3；0街道、1街道、2街道等2个街道跌破16.2。"
    )
    assert change_sentence(change, "street", "en") == (
        "This month 12 more community workers, +0.3 per 10,000; 0街道, 1街道, 2街道 and 2 more "
        "fell below 16.2."
    )


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", ["pages/overview.py", "pages/briefing.py"])
def test_overview_and_briefing_open_with_the_line(changed_city, monkeypatch, lang, page):
    at = run_app(
        changed_city, monkeypatch, page=page, lang=lang, month="2025-06", district="990101"
    )
    assert not at.exception
    expected = EXPECTED[("990101", lang)]
    if page == "pages/overview.py":
        texts = [element.value for element in at.text]
        # Right before the headline's sentences, which name the district first.
        assert texts[texts.index(expected) + 1].startswith("甲区")
    else:
        bodies = [e.proto.body for e in at.get("html")]
        (first,) = [b for b in bodies if b.startswith('<p class="briefing-change">')]
        assert first == f'<p class="briefing-change">{expected}</p>'
        assert bodies.index(first) < next(
            i for i, b in enumerate(bodies) if b.startswith('<div class="briefing-headline">')
        )


@pytest.mark.slow
@pytest.mark.parametrize("page", ["pages/overview.py", "pages/briefing.py"])
def test_no_line_without_a_month_before(small_city_url, monkeypatch, page):
    at = run_app(small_city_url, monkeypatch, page=page, month="2025-01")
    assert not at.exception
    assert not any("本月" in element.value for element in at.text)
    assert not any(e.proto.body.startswith('<p class="briefing-change">') for e in at.get("html"))
