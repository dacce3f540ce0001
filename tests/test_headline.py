"""The Overview's headline on the small city (tests/small_city.py), at each scope, in both languages.

Hand-worked from the small city's table, as of 2025-06-30: the city has 83 workers for 55,001
residents (15.1 per 10,000), three of five communities short (C1, C2, C3), 甲区 the lower
district (14.6); C1's work items fell from 100 (2025-01) to 60 (2025-06), 40.0 %, and rebound
over the low of 40, C2's forms rose from 0 to 3 (two communities rebound); grid 003 of C1 (its worker left) and C2's dedicated grid have nobody.
"""

from __future__ import annotations

import pytest

from dashboard.headline import headline_sentences
from data_access.figures.overview import headline_facts
from data_access.scope import Scope
from tests.small_city import AS_OF

NAMES = {
    None: {"zh": "全市", "en": "Whole city"},
    "990101": {"zh": "甲区", "en": "甲区"},
    "990102": {"zh": "乙区", "en": "乙区"},
    "990101001": {"zh": "东街道", "en": "东街道"},
    "990101001001": {"zh": "一社区", "en": "一社区"},
}
EXPECTED = {
    (None, "zh"): [
        "全市每万人社区工作者15.1人，低于标准（18人）；仍有3个社区未达标，甲区最低（14.6）。",
        "工作事项较基期精简40.0%，2个社区出现反弹，2个网格无网格员。",
    ],
    (None, "en"): [
        "Whole city: 15.1 community workers per 10,000 residents, below the standard of 18; "
        "communities short of their required headcount: 3, lowest 甲区 (14.6).",
        "Work items down 40.0% on the baseline; communities rebounding: 2; "
        "grids without a grid worker: 2.",
    ],
    ("990102", "zh"): [
        "乙区每万人社区工作者20.0人，达到标准；全部1个社区达标。",
        "没有社区出现反弹。",
    ],
    ("990102", "en"): [
        "乙区: 20.0 community workers per 10,000 residents, meeting the standard; "
        "every community meets its required headcount (1).",
        "No community rebounding.",
    ],
    ("990101001", "zh"): [
        "东街道每万人社区工作者16.4人，低于标准（18人）；仍有2个社区未达标，一社区最低（15.0）。",
        "工作事项较基期精简40.0%，2个社区出现反弹，2个网格无网格员。",
    ],
    ("990101001001", "zh"): [
        "一社区每万人社区工作者15.0人，低于标准（18人），缺3人。",
        "工作事项较基期精简40.0%，近期出现反弹，1个网格无网格员。",
    ],
    ("990101001001", "en"): [
        "一社区: 15.0 community workers per 10,000 residents, below the standard of 18, "
        "3 workers short.",
        "Work items down 40.0% on the baseline; a recent rebound; grids without a grid worker: 1.",
    ],
}


@pytest.mark.parametrize(("code", "language"), list(EXPECTED))
def test_headline_of_each_scope(code, language, small_city, settings):
    facts = headline_facts(small_city, Scope(code, AS_OF), settings)
    assert headline_sentences(facts, NAMES[code][language], language) == EXPECTED[(code, language)]
