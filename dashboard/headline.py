"""The Overview's headline: one or two sentences that say what matters in a scope.

Pure functions, no Streamlit: the Overview and the one-page briefing word the same facts
(data_access/figures/overview.py:headline_facts), from the same figures as the KPI cards.

    全市每万人社区工作者18.2人，达到标准；仍有202个社区未达标，东湖区最低（16.5）。
    工作事项较基期精简63.0%，3个社区出现反弹。
"""

from __future__ import annotations

from dashboard import formatting
from data_access.catalog import translate
from data_access.figures.overview import HeadlineFacts, MonthChange


def headline_sentences(facts: HeadlineFacts, scope_name: str, language: str) -> list[str]:
    """One sentence on staffing and one on burden and grids of the area `scope_name`, in the
    language ("zh" or "en"); the facts are data_access/figures/overview.py:headline_facts."""

    def say(key: str, **values: object) -> str:
        return translate(language, f"headline.{key}", **values)

    sentences = []
    if facts.per_10k is not None:
        standing = (
            say("meets")
            if facts.per_10k >= facts.standard
            else say("below_standard", standard=formatting.decimal(facts.standard, 0))
        )
        staffing_text = say(
            "per_10k",
            scope=scope_name,
            value=formatting.decimal(facts.per_10k),
            standing=standing,
        )
        if facts.level == "community":
            rest = say("short", n=formatting.integer(facts.gap)) if facts.gap else say("full")
        elif facts.communities_below == 0:
            rest = say("all_meet", n=formatting.integer(facts.communities_assessed))
        else:
            rest = say("some_below", n=formatting.integer(facts.communities_below))
            if facts.weakest_name is not None:
                rest += say(
                    "weakest",
                    name=facts.weakest_name,
                    value=formatting.decimal(facts.weakest_per_10k),
                )
        sentences.append(staffing_text + rest + say("end"))
    parts = []
    if facts.category is not None and facts.reduction is not None:
        category = translate(language, f"category.{facts.category}")
        key = "reduced" if facts.reduction >= 0 else "grew"
        percent = formatting.decimal(abs(facts.reduction) * 100)
        parts.append(say(key, category=category, pct=percent))
    if facts.level == "community":
        parts.append(say("rebound_here") if facts.rebounding_communities else say("no_rebound"))
    elif facts.rebounding_communities:
        parts.append(say("rebounds", n=formatting.integer(facts.rebounding_communities)))
    else:
        parts.append(say("no_rebounds"))
    if facts.unstaffed_grids:
        parts.append(say("unstaffed", n=formatting.integer(facts.unstaffed_grids)))
    sentences.append(say("join").join(parts) + say("end"))
    return [sentence[:1].upper() + sentence[1:] for sentence in sentences]


NAMES_SHOWN = 3  # units named per line crossed; the rest are counted


def change_sentence(change: MonthChange | None, level: str, language: str) -> str | None:
    """One sentence of what changed since the month before (data_access/figures/overview.py:
    month_change), e.g. 本月净增社区工作者12人，每万人+0.3；桃湾街道跌破16.2。 `level`: the
    level of the units that may have crossed a line. None when there is no month before."""
    if change is None:
        return None

    def say(key: str, **values: object) -> str:
        return translate(language, f"headline.change.{key}", **values)

    if change.workers > 0:
        first = say("more_workers", n=formatting.integer(change.workers))
    elif change.workers < 0:
        first = say("fewer_workers", n=formatting.integer(-change.workers))
    else:
        first = say("same_workers")
    if change.per_10k is not None and _shows_change(change.per_10k, 1):
        first += say("per_10k", change=formatting.signed(change.per_10k, 1))
    parts = [first]
    level_word = translate(language, f"level.{level}")
    for key, crossed in (("fell", change.fell), ("rose", change.rose)):
        for threshold in dict.fromkeys(c.threshold for c in crossed):
            names = [c.name for c in crossed if c.threshold == threshold]
            listed = say("name_join").join(names[:NAMES_SHOWN])
            if len(names) > NAMES_SHOWN:
                more = formatting.integer(len(names) - NAMES_SHOWN)
                listed = say("more_names", names=listed, n=more, level=level_word)
            parts.append(say(key, names=listed, threshold=_line(threshold)))
    if change.category is not None and change.reduction is not None:
        points = change.reduction * 100
        if _shows_change(points, 1):
            category = translate(language, f"category.{change.category}")
            parts.append(say("reduction", category=category, change=formatting.signed(points, 1)))
    return say("join").join(parts) + translate(language, "headline.end")


def _shows_change(change: float, digits: int) -> bool:
    """Whether a change is more than nothing at the shown precision."""
    return any(digit in formatting.signed(change, digits) for digit in "123456789")


def _line(threshold: float) -> str:
    """A line crossed, e.g. 18 or 16.2 (no ".0" on a whole number)."""
    return formatting.decimal(threshold, 0 if float(threshold).is_integer() else 1)
