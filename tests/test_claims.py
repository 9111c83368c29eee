"""What the checker takes for a place or organisation name, on hand-picked phrases."""

from __future__ import annotations

import pytest

from rag import claims
from rag.normalize import compact


@pytest.mark.parametrize(("text", "names"), [
    ("2019年龙岗区百人以上企业建会率", ["龙岗"]),
    ("深圳市罗湖区委7楼会议室", ["深圳", "罗湖"]),
    ("坪山区工会联合会", ["坪山"]),  # jieba splits 坪|山区
    ("广西自治区对于疫情推行什么制度", ["广西"]),  # 自治区 is no name
    ("浙江吉利控股集團有限公司", ["浙江"]),  # only a two-character name right before the suffix
    ("传化集团工会主席", ["传化"]),
    ("内容概述市药监局、市知识产权局", []),  # 概述 is a verb
    ("以社区为单位开展排查", []),  # 以 + 社区
    ("推进园区建设，投放市场", []),
    ("签订区域性集体合同", []),
])
def test_names_in(text: str, names: list[str]) -> None:
    assert claims.names_in(compact(text)) == names
