"""Build the shipped sample interview ``transcripts/anxi.docx`` with python-docx.

The interview is ILLUSTRATIVE: written by the qualcode developers in the voice of a community
leader, grounded in the themes of the reference study (Mo 2021, interviews with leaders of seven
Wuxi communities). It is not the study's data and the speaker is not a real person.

The file demonstrates the Word layout the importer reads: a title and a header block (访谈时间,
访谈对象, 关键词) before the first turn, bracket speaker labels ``【访谈者】`` / ``【受访者】`` at
paragraph starts, and one table in the middle of a respondent's turn (read in body order, one
line per row, cells joined by tabs).

Run from the repository root:  .venv/bin/python scripts/make_sample_docx.py
The output is stable apart from the ZIP timestamps python-docx writes.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

from docx import Document
from docx.shared import Pt

OUTPUT = Path(__file__).resolve().parent.parent / "transcripts" / "anxi.docx"

TITLE = "安西社区负责人访谈（示例）"
HEADER = [
    "访谈时间：2021年4月",
    "访谈地点：安西社区党群服务中心",
    "访谈对象：安西社区党委书记（虚构人物）",
    "关键词：共建单位；爱心企业捐赠；防护物资；网格分工；外来人口",
    "说明：本文为 qualcode 开发者撰写的示例访谈，"
    "依据参考研究报告的主题编写，不是该研究的访谈记录。",
]

# The table the leader points to: grids, grid workers, households and population.
TABLE = [
    ["网格", "专职网格员", "兼职人员", "户数", "常住人口", "外来人口占比"],
    ["第一网格", "1", "2", "420", "1180", "25%"],
    ["第二网格", "1", "1", "380", "1050", "30%"],
    ["第三网格", "1", "2", "510", "1290", "65%"],
    ["第四网格", "1", "1", "350", "960", "35%"],
    ["第五网格", "1", "2", "470", "1150", "60%"],
    ["合计", "5", "8", "2130", "5630", "约45%"],
]

# Q: interviewer turn, A: respondent turn; a line TABLE inserts the table; an A: line right
# after TABLE continues the same answer (no label, as people write it in Word).
TRANSCRIPT = """\
Q: 书记您好，请先介绍一下安西社区的基本情况。
A: 安西社区在锡山区安镇街道，是一个有些年头的老社区，一部分是原来村里拆迁以后建的房子，一部分是早年的单位宿舍。现在常住人口五千六百人左右，老年人多，同时周边有不少厂，外来务工人员也住进来不少，本地人和外地人差不多一半一半。我在社区做了十八年，当书记是第七年。
Q: 社区的网格是怎么划分的？人员是怎么配的？
A: 我们按照楼栋和道路分成五个网格，你看这张表，是我们疫情期间用的分工表，一直贴在办公室墙上。每个网格配一个专职网格员，另外有一到两个兼职的，主要是社区的其他条线干部。每天下午各个网格把信息报送到我这里汇总，没有新情况也要零报告。
TABLE
A: 表上能看出来，第三网格和第五网格外来人口比例高，出租房集中，是我们的重点。这两个网格我们额外配了党员志愿者，排查的时候两个人一组，一个问、一个记。
Q: 这两个外来人口多的网格，排查的时候遇到过什么困难？
A: 困难主要是找不到人。外来务工人员白天上班、晚上回来，有的上夜班，白天在睡觉，你去敲门他不开。我们就调整时间，晚上七点到十点集中上门，有时候一栋楼要跑三四趟。还有就是有些群租房，房东登记的是三个人，实际住了七八个。后来我们跟厂里的人事部门联系，让厂里把住在我们社区的员工名单给我们，两边一对，漏掉的人就出来了。
Q: 您提到跟厂里联系，社区平时和辖区的企业、共建单位来往多吗？
A: 平时来往不算多，每年搞一两次共建活动，签个协议。但是这次疫情，企业真是帮了大忙。辖区里一家做电缆的企业，在我们最缺物资的时候，捐赠了一批消毒液和手套，还派了十几个年轻员工到卡口帮我们值守，一干就是一个月。还有一家做电动车的公司，送来了几千个口罩，那时候一罩难求，这几千个口罩真的是雪中送炭。我们把口罩先发给一线的网格员和卡口的志愿者，剩下的分给了困难家庭。
Q: 口罩那么紧张，一线的社区工作人员自身的防护怎么保障？
A: 说实话，一开始是没有保障的。正月里药店都买不到口罩，街道分下来的也很少，我们有的同志是戴着自己家里的棉布口罩去上门的。防护服更不用说，最早那几天根本没有，去隔离户家里送东西只能穿个雨衣、戴个手套。大家心里都清楚，这是冒着风险在干，可是没有人往后退。有个小姑娘，家里孩子才两岁，她跟我说，书记你别排我休息，我怕我一停下来就不敢再来了。这话我到现在都记得。
Q: 除了企业的支持，你们有没有主动去找外部资源？
A: 这一点我们做得不够。企业的捐赠大多是人家主动打电话来问的，我们自己去对接的很少。一是不知道门路，二是觉得开口要东西不好意思。现在回过头来看，社区对外部资源的利用还是比较被动的，平时没有把这些关系维护好，到了急的时候就只能等。
Q: 在宣传方面，你们主要用了哪些办法？
A: 宣传我们是线上线下一起来。线下就是拉横幅、贴海报、发一封信，每个出入口都有展板，把防控知识写得明明白白。线上就是居民微信群，每个网格一个群，网格员是群主，街道发的通告第一时间转到群里。外来务工人员多，我们还请厂里帮忙，在他们的员工群里也发一遍。后来有了苏康码，我们就在卡口贴了二维码，进出扫码，比原来手写登记快多了。
Q: 居民在防控中的参与情况怎么样？
A: 本地的老居民参与得比较积极，特别是老党员，很多人主动到卡口来站岗，有的还把自家的电瓶车借出来送东西。外来务工人员这一块就弱一些，他们觉得自己是租房子的，社区的事跟自己关系不大，参与意识还不强，叫他们来当志愿者，大多数说要上班、没时间。这个也能理解，毕竟人家要挣钱养家。但是我觉得以后要想办法让他们也有归属感，比如我们现在搞的新市民活动，就是想让他们慢慢融进来，把这里当成自己的家。
Q: 这一段时间下来，您觉得社区最大的短板是什么？
A: 最大的短板我觉得是保障跟不上。社区的事情越来越多，责任越来越大，可是我们的人员、我们的物资、我们的待遇都没有跟上。打个比方，上面要求我们对辖区的每一个人负责，可是我们连口罩都要靠别人送，这就是权责不对等。再一个就是我们的同志大部分不是学医的，怎么消毒、怎么穿脱防护服，很多都是边干边学，没有经过系统的培训。
Q: 对于今后，您有什么建议？
A: 我的建议主要是两条。第一，社区要有自己的应急物资储备，口罩、防护服、消毒液，平时就要备一些，不能每次都等着上面发、等着企业送。第二，要把和企业、共建单位的关系做在平时，建一个资源对接的清单，哪家企业能出人、哪家能出物，心里要有数。这次的经验告诉我们，只靠社区自己这点力量是远远不够的。
"""  # noqa: E501  (one turn per line, as in the document)

LABELS = {"Q": "【访谈者】", "A": "【受访者】"}


def build(path: Path = OUTPUT) -> Path:
    document = Document()
    document.core_properties.title = TITLE
    document.core_properties.author = "qualcode developers (illustrative sample)"
    document.core_properties.created = datetime.datetime(2021, 4, 1)
    document.core_properties.modified = datetime.datetime(2021, 4, 1)
    document.core_properties.last_modified_by = "qualcode"
    document.core_properties.revision = 1
    style = document.styles["Normal"]
    style.font.size = Pt(11)

    document.add_heading(TITLE, level=1)
    for line in HEADER:
        document.add_paragraph(line)
    document.add_paragraph("")

    after_table = False
    for line in TRANSCRIPT.splitlines():
        if not line.strip():
            continue
        if line == "TABLE":
            table = document.add_table(rows=len(TABLE), cols=len(TABLE[0]))
            table.style = "Table Grid"
            for row, values in zip(table.rows, TABLE, strict=True):
                for cell, value in zip(row.cells, values, strict=True):
                    cell.text = value
            after_table = True
            continue
        role, _, text = line.partition(": ")
        if after_table and role == "A":
            document.add_paragraph(text)
        else:
            document.add_paragraph(LABELS[role] + text)
        after_table = False

    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT), file=sys.stderr)
