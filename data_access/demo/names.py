"""Names of the demo city's units and places: plausible but fictional, unique within their parent."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DISTRICT_NAMES = (
    "东湖区",
    "滨江区",
    "高新区",
    "江南区",
    "城北区",
    "南湖区",
    "西岭区",
    "临港区",
    "金沙区",
    "白鹭区",
    "凤栖区",
    "青禾区",
    "月湾区",
    "锦川区",
    "梧桐区",
)
STREET_FIRST = "长和永新兴建民光文安华青翠金福康宁德明丰云锦春秀红东南西北桂梅荷柳桃杏枫松竹兰凤龙鹤白清绿碧紫朝晨星月天海江湖"
STREET_SECOND = "青平安华兴乐宁康丰阳明山园湖江桥林泰盛新源苑城河岭港洲坪塘湾"


def _pairs(text: str) -> tuple[str, ...]:
    """Splits a run of two-character words."""
    return tuple(text[i : i + 2] for i in range(0, len(text), 2))


COMMUNITY_WORDS = _pairs(
    "幸福锦绣阳光和谐桂花丹桂紫薇春晖梧桐银杏东风红旗建设胜利新华友谊团结育才文化工人鹏程怡景碧水绿洲金桥玉泉滨湖月湖枫林清河"
    "柳岸杏花荷塘兰亭松鹤翠竹凤凰百花长春永丰安居康乐福星瑞祥嘉禾书香明珠星光晨曦彩虹和平光明振兴朝阳翠微华庭丽水海棠青松金桂"
)
COMMUNITY_SUFFIXES = ("里", "园", "苑", "坊", "湾", "路", "新村", "花园", "家园", "庭")
GARDEN_STEMS = ("翠园", "梅园", "竹园", "兰园", "桃园", "荷园", "松园", "枫园", "菊园", "杏园")
SURNAMES = "李王张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜"
VILLAGE_SUFFIXES = ("家村", "家湾村", "家岗村", "家畈村", "家庄村", "庄村", "店村", "桥村", "岭村")
URBAN_DEDICATED_PLACES = (
    "实验小学",
    "中学",
    "幼儿园",
    "人民医院",
    "中医医院",
    "工业园",
    "科技园",
    "物流园",
    "商务楼宇",
    "农贸市场",
    "湿地公园",
    "体育中心",
    "客运站",
)
VILLAGE_DEDICATED_PLACES = ("小学", "卫生院", "幼儿园", "农贸市场", "工业园")
# The first schools and hospitals of the city are numbered city-wide, as real ones are.
CITY_NUMBERED_PLACES = {"中学": 30, "人民医院": 9}
OTHER_FACILITIES = ("文化活动中心", "儿童之家", "便民服务点", "图书室")
CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1–99 in Chinese numerals (一, 十二, 二十三)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CHINESE_DIGITS[ones]
    head = "" if tens == 1 else CHINESE_DIGITS[tens]
    return head + "十" + (CHINESE_DIGITS[ones] if ones else "")


class NamePool:
    """Names drawn from a shuffled pool: unique city-wide while it lasts, always within a parent."""

    def __init__(self, names: Sequence[str], rng: np.random.Generator) -> None:
        self._names = list(names)
        self._rng = rng
        self._queue: list[str] = []

    def draw(self, taken: set[str]) -> str:
        for _ in range(2 * len(self._names) + 1):
            if not self._queue:
                self._queue = [self._names[i] for i in self._rng.permutation(len(self._names))]
            name = self._queue.pop()
            if name not in taken:
                taken.add(name)
                return name
        raise ValueError("name pool exhausted")


def street_stems() -> list[str]:
    return [a + b for a in STREET_FIRST for b in STREET_SECOND if a != b]


def community_stems() -> list[str]:
    return [w + s for w in COMMUNITY_WORDS for s in COMMUNITY_SUFFIXES] + list(GARDEN_STEMS)


def village_names() -> list[str]:
    return [s + v for s in SURNAMES for v in VILLAGE_SUFFIXES]


def district_names(n: int, rng: np.random.Generator) -> list[str]:
    """The fixed list first, then generated names for very large scales."""
    names = list(DISTRICT_NAMES[:n])
    pool = NamePool([s + "区" for s in street_stems()], rng)
    taken = set(names)
    while len(names) < n:
        names.append(pool.draw(taken))
    return names
