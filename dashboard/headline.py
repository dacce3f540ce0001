"""The Overview's headline: one or two sentences that say what matters in a scope.

Pure functions, no Streamlit: the Overview and the one-page briefing word the same facts
(data_access/figures/overview.py:headline_facts), from the same figures as the KPI cards.

    全市每万人社区工作者18.2人，达到标准；仍有202个社区未达标，东湖区最低（16.5）。
    工作事项较基期精简63.0%，3个社区出现反弹。

Where there are villages (村), the standard is read over the urban communities alone and the
sentence says so, with the counts of both (城市社区 N 个、村 M 个; docs/metrics.md §3).
"""

from __future__ import annotations

from dashboard import formatting
from data_access.catalog import Text, text_in, translate
from data_access.figures.overview import HeadlineFacts, MonthChange
from data_access.settings import Settings


def community_counts(urban: int, villages: int, text: Text) -> str:
    """城市社区 N 个、村 M 个 (N urban communities, M villages) where there are villages; 社区 N 个
    (N communities) alone where there are none. `text`: a catalog (dashboard.i18n.t)."""

    def counted(kind: str, n: int) -> str:
        form = "one" if n == 1 else "other"
        return text(f"count.{kind}.{form}", n=formatting.integer(n))

    if not villages:
        return counted("communities", urban)
    if not urban:
        return counted("villages", villages)
    return text("count.join").join(
        [counted("urban_communities", urban), counted("villages", villages)]
    )


def assessed_units(urban: int, villages: int, villages_assessed: bool) -> str:
    """Which units a count of "meeting the standard" is over, as a suffix of its catalog key:
    "" (no villages: communities), "_urban" (villages are not assessed), "_villages" (assessed
    villages alone) or "_both"."""
    if not villages:
        return ""
    if not villages_assessed:
        return "_urban"
    return "_both" if urban else "_villages"


def far_below_units(villages: int, settings: Settings) -> str:
    """The catalog key suffix of the far-below alert: "" (no villages: communities), "_urban"
    (villages without a per 10,000 standard of their own) or "_both"."""
    if not villages:
        return ""
    return "_both" if settings.village_standard_per_10k is not None else "_urban"


def villages_note(
    urban: int, villages: int, per_10k_all: object, settings: Settings, text: Text
) -> str | None:
    """What the staffing figures of an area holding villages are taken over, in one sentence
    under its cards (docs/metrics.md §3); None where there are no villages."""
    if not villages:
        return None
    counts = community_counts(urban, villages, text)
    every = formatting.decimal(per_10k_all)
    if not settings.villages_assessed:
        return text("staffing.villages_note", counts=counts, all=every)
    return text(
        "staffing.villages_note_assessed",
        counts=counts,
        all=every,
        standard=formatting.decimal(settings.village_standard_per_10k, 0),
        minimum=formatting.integer(settings.village_min_team),
    )


def headline_sentences(facts: HeadlineFacts, scope_name: str, language: str) -> list[str]:
    """One sentence on staffing and one on burden and grids of the area `scope_name`, in the
    language ("zh" or "en"); the facts are data_access/figures/overview.py:headline_facts."""

    catalog = text_in(language)

    def say(key: str, **values: object) -> str:
        return catalog(f"headline.{key}", **values)

    def standing_of(per_10k: float) -> str:
        if per_10k >= facts.standard:
            return say("meets")
        return say("below_standard", standard=formatting.decimal(facts.standard, 0))

    def team() -> str:  # one community's workers short
        return say("short", n=formatting.integer(facts.gap)) if facts.gap else say("full")

    sentences = []
    units = assessed_units(facts.urban_communities, facts.villages, facts.villages_assessed)
    if facts.level == "community" and facts.villages:  # a village
        staffing_text = say(
            "village_here", scope=scope_name, value=formatting.decimal(facts.per_10k_all)
        )
        rest = team() if facts.communities_assessed else say("village_not_assessed")
        sentences.append(staffing_text + rest + say("end"))
    elif facts.per_10k is not None or (facts.villages and facts.per_10k_all is not None):
        if facts.per_10k is None:  # villages only: no urban residents to set the standard against
            staffing_text = say(
                "villages_only",
                scope=scope_name,
                counts=community_counts(facts.urban_communities, facts.villages, catalog),
                value=formatting.decimal(facts.per_10k_all),
            )
        else:
            staffing_text = say(
                "per_10k_urban" if facts.villages else "per_10k",
                scope=scope_name,
                value=formatting.decimal(facts.per_10k),
                standing=standing_of(facts.per_10k),
            )
        if facts.level == "community":
            rest = team()
        elif not facts.communities_assessed:
            rest = ""
        elif facts.communities_below == 0:
            rest = say("all_meet" + units, n=formatting.integer(facts.communities_assessed))
        else:
            rest = say("some_below" + units, n=formatting.integer(facts.communities_below))
            if facts.weakest_name is not None:
                rest += say(
                    "weakest",
                    name=facts.weakest_name,
                    value=formatting.decimal(facts.weakest_per_10k),
                )
        if facts.villages and facts.per_10k is not None:
            rest += say(
                "villages_own" if facts.villages_assessed else "villages_apart",
                counts=community_counts(facts.urban_communities, facts.villages, catalog),
            )
        elif facts.villages and not facts.villages_assessed:
            rest += say("village_not_assessed")
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
