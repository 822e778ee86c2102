"""Seeded generators of realistic interview material for the benchmarks.

Text is built from phrases in the register of the sample interviews (community governance,
Chinese with some English), so that segment lengths, character mix and keyword density are
like real transcripts. The same seed always gives the same data.
"""

from __future__ import annotations

import random
from pathlib import Path

CHINESE_PHRASES = (
    "我们社区一共划了八个网格",
    "每个网格配一到两个网格员",
    "卡口二十四小时有人值守",
    "志愿者每天上门排查",
    "物业公司配合测体温",
    "居民自治委员会自己商量决定",
    "党员带头下沉",
    "共建单位捐赠了口罩和消毒液",
    "微信群里有人传谣言",
    "我们马上在公众号上辟谣",
    "菜价一度涨得很高",
    "后来从生产基地直供平价菜",
    "社区人手严重不足",
    "上面千条线下面一根针",
    "每天要填很多重复的报表",
    "防护物资一开始非常缺乏",
    "工资待遇跟付出不对等",
    "居民参与意识还不够强",
    "以后要建智慧社区平台",
    "线上线下结合起来管理",
    "这个我们也在摸索",
    "说实话压力很大",
    "老年人比较多",
    "外来务工人员流动性大",
    "封闭管理那段时间",
)
#: Talk around the topic: what most of an answer is made of. A sentence draws a topical phrase
#: with probability ``TOPICAL_SHARE``, so that a turn has about as many codebook keywords as
#: the shipped sample interviews (one to three per respondent turn), not one in every phrase.
FILLER_PHRASES = (
    "那个时候大家都很紧张",
    "我印象特别深",
    "说起来也不容易",
    "我们开了好几次会",
    "基本上每天都是这样",
    "晚上十一二点才回家",
    "后来慢慢就好了",
    "老百姓也能理解",
    "具体的情况比较复杂",
    "这个要分两方面来讲",
    "我举个例子",
    "当时也没有经验",
    "大家一起想办法",
    "一开始确实比较乱",
    "现在回想起来",
    "领导也很重视",
    "前前后后差不多两个月",
    "我们这边情况特殊",
    "有的人一开始不配合",
    "后来通过沟通解决了",
)
TOPICAL_SHARE = 0.3
ENGLISH_PHRASES = (
    "the grid workers went door to door",
    "volunteers staffed the checkpoint",
    "rumours spread in the WeChat group",
    "vegetable prices were too high",
    "we were short of staff",
    "too many forms to fill in",
    "residents did not take part",
)
SPEAKERS = (("采访者", "受访者"), ("问", "答"), ("Interviewer", "Respondent"))


def make_sentence(rng: random.Random, english_share: float = 0.1) -> str:
    """One sentence of two to four phrases, mostly Chinese."""
    if rng.random() < english_share:
        words = rng.sample(ENGLISH_PHRASES, k=rng.randint(1, 2))
        return (", ".join(words)).capitalize() + "."
    parts = [
        rng.choice(CHINESE_PHRASES if rng.random() < TOPICAL_SHARE else FILLER_PHRASES)
        for _ in range(rng.randint(2, 4))
    ]
    return "，".join(parts) + rng.choice("。。。！？")


def make_turn_text(rng: random.Random) -> str:
    """A turn of one to three sentences (about 20-120 characters)."""
    return "".join(make_sentence(rng) for _ in range(rng.randint(1, 3)))


def write_transcripts(folder: Path, *, files: int, turns_per_file: int, seed: int = 7) -> int:
    """Write ``files`` labelled transcripts of ``turns_per_file`` turns; return total turns."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(files):
        interviewer, respondent = SPEAKERS[number % len(SPEAKERS)]
        lines = [f"访谈记录 {number}（生成的基准数据）", "关键词：网格；社区治理", ""]
        for turn in range(turns_per_file):
            speaker = interviewer if turn % 2 == 0 else respondent
            lines.append(f"{speaker}：{make_turn_text(rng)}")
        (folder / f"interview_{number:05d}.txt").write_text("\n".join(lines), encoding="utf-8")
    return files * turns_per_file
