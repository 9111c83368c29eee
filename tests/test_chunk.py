from rag.chunk import chunk_document, classify_kind, heading_level, split_long


def test_heading_levels() -> None:
    assert heading_level("一、2019年主要工作完成情况") == 1
    assert heading_level("（一）坚持党建带动引领，全面夯实组织阵地建设") == 2
    assert heading_level("1.加强组织建设") == 3
    assert heading_level("1.8亿元的经济利益被争取") is None
    assert heading_level("第三条 本办法自发布之日起施行，有效期两年，各单位应当认真执行本办法的各项规定。") == 3
    assert heading_level("第一章 总则") == 1
    assert heading_level("全年完成2346宗劳资纠纷调处工作。") is None


def test_kind() -> None:
    assert classify_kind(["三、2020年工作思路", "（一）不断夯实基层组织建设基础"], "x", "") == "plan"
    assert classify_kind(["一、2019年主要工作完成情况", "（二）坚持预防处置相结合"], "x", "") == "review"
    assert classify_kind([], "下一步，龙岗区总工会将深入学习", "") == "plan"
    assert classify_kind([], "会议在传化集团召开。", "工作推进会") == "other"


def test_split_long_never_cuts_a_number() -> None:
    sentence = "甲" * 95 + "123456.789" + "乙" * 100
    pieces = split_long(sentence, 100)
    assert "".join(pieces) == sentence
    assert any("123456.789" in p for p in pieces)


def test_chunks_follow_sections_and_sizes() -> None:
    body = "。".join(f"第{i}句话讲的是工作内容和具体的措施安排" for i in range(60)) + "。"
    text = f"一、总体情况\n{body}\n二、下一步工作计划\n（一）加强建设\n{body}"
    chunks = chunk_document(text, "", target_chars=300, max_chars=400, overlap_chars=60)
    assert all(len(c.text) <= 400 for c in chunks)
    assert chunks[0].section == ["一、总体情况"]
    assert chunks[-1].section == ["二、下一步工作计划", "（一）加强建设"]
    assert chunks[-1].kind == "plan"
    # overlap: consecutive chunks of one section share text
    assert chunks[1].text[:10] in chunks[0].text
    # every sentence ends up somewhere, none cut
    joined = "".join(c.text for c in chunks)
    assert "第59句话讲的是工作内容和具体的措施安排。" in joined
