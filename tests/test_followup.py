"""Follow-up questions rewritten into standalone ones, exactly."""

from __future__ import annotations

import pytest

from rag.followup import rewrite

RATE = "2019年龙岗区百人以上企业建会率达到多少？"


@pytest.mark.parametrize(("history", "question", "searched"), [
    ([RATE], "那25-99人的企业呢？", "2019年龙岗区25-99人的企业建会率达到多少？"),
    ([RATE], "2020年呢？", "2020年龙岗区百人以上企业建会率达到多少？"),
    ([RATE], "罗湖区呢？", "2019年罗湖区百人以上企业建会率达到多少？"),
    ([RATE], "那福田区2018年的情况呢", "2018年福田区百人以上企业建会率达到多少？"),
    ([RATE], "服务了多少职工？", "2019年龙岗区服务了多少职工？"),
    ([RATE], "它签订了多少份集体合同？", "龙岗区签订了多少份集体合同？"),
    (["2019年深圳市龙岗区组织了多少场职工培训活动？"], "那宝安区呢？", "2019年宝安区组织了多少场职工培训活动？"),
    (["国家发展改革委办公厅对不能正常开工的企业如何降低用电成本？"], "用气成本呢？",
     "国家发展改革委办公厅对不能正常开工的企业如何降低用气成本？"),  # the qualifier after the verb
    (["深化新时代浙江产业工人队伍建设改革工作推进会在哪里召开？"], "什么时间？",
     "深化新时代浙江产业工人队伍建设改革工作推进会什么时间？"),  # the topic, asked anew
    (["2019年龙岗区总工会全年完成了多少宗劳资纠纷调处工作？"], "为职工争取了多少经济利益？",
     "2019年龙岗区为职工争取了多少经济利益？"),
    # standalone questions are left alone
    ([RATE], "罗湖区建成了多少家四级职工服务阵地？", "罗湖区建成了多少家四级职工服务阵地？"),
    ([RATE], "2022年罗湖区推进产业工人队伍建设改革领导小组工作会议在什么地点召开？",
     "2022年罗湖区推进产业工人队伍建设改革领导小组工作会议在什么地点召开？"),
    ([], "那25-99人的企业呢？", "那25-99人的企业呢？"),  # nothing to follow
])
def test_rewrite(history: list[str], question: str, searched: str) -> None:
    r = rewrite(question, history)
    assert r.question == searched
    assert r.changed == (searched != question)


def test_the_latest_question_is_followed() -> None:
    history = [RATE, "2019年龙岗区签订了多少份集体合同？"]
    assert rewrite("2020年呢？", history).question == "2020年龙岗区签订了多少份集体合同？"
