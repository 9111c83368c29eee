"""Tables in .docx, .xlsx and .csv: every row keeps its caption and column headers, exactly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rag.app import App
from rag.load import Document, LoadFailure, load_file
from rag.tables import Table, table_lines
from tests.conftest import ingest_paths

HEADER = ["指标", "2019年", "2020年目标"]
ROWS = [["百人以上企业建会率", "98.9%", "全覆盖"], ["25-99人企业建会率", "74.4%", "基本全覆盖"]]


def _one(path: Path) -> Document:
    docs = list(load_file(path))
    assert len(docs) == 1 and isinstance(docs[0], Document), docs
    return docs[0]


def _failure(path: Path) -> str:
    docs = list(load_file(path))
    assert len(docs) == 1 and isinstance(docs[0], LoadFailure), docs
    return f"{docs[0].path}: {docs[0].reason}"


def test_rows_name_their_caption_and_columns() -> None:
    assert table_lines(Table("2019年主要指标", [HEADER, *ROWS])) == [
        "【2019年主要指标】指标：百人以上企业建会率；2019年：98.9%；2020年目标：全覆盖。",
        "【2019年主要指标】指标：25-99人企业建会率；2019年：74.4%；2020年目标：基本全覆盖。",
    ]
    # a first row of figures is no header: cells are listed as they are
    assert table_lines(Table("", [["2019", "98.9%"], ["2020", "100%"]])) == ["2019；98.9%。", "2020；100%。"]
    # blank rows and columns empty everywhere go; an empty cell is left out of its row
    assert table_lines(Table("", [["项目", "", "数量"], ["", "", ""], ["职工书屋", "", ""]])) == ["项目：职工书屋。"]
    # a 单位 column's unit goes with the figure it counts; "表1 2019年" is not read as 12019
    assert table_lines(Table("表1 维权工作", [["项目", "数量", "单位"], ["集体合同", "357", "份"], ["培训", "约600", "场"]])) == [
        "【表1 维权工作】项目：集体合同；数量：357份。", "【表1 维权工作】项目：培训；数量：约600；单位：场。"]
    assert table_lines(Table("表1 2019年指标", [["指标", "2019年"], ["建会率", "98.9%"]])) == ["【表1：2019年指标】指标：建会率；2019年：98.9%。"]


def _docx(path: Path) -> Path:
    import docx
    from docx.oxml.ns import qn

    d = docx.Document()
    d.add_paragraph("2019年龙岗区总工会工作总结")
    d.add_paragraph("表1 2019年主要工作指标")
    table = d.add_table(rows=4, cols=3)
    for r, row in enumerate([HEADER, *ROWS, ["", "覆盖职工27.9万人", ""]]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    # the last row's label spans two rows in the source document: a vertically merged cell
    table.cell(2, 0).merge(table.cell(3, 0))
    assert table.cell(3, 0)._tc.tcPr.find(qn("w:vMerge")) is not None  # written as a vMerge continuation
    d.add_paragraph("全年完成2346宗劳资纠纷调处工作。")
    d.save(str(path))
    return path


@pytest.mark.parametrize("kind", [".docx", ".pdf"])
def test_a_docx_or_ruled_pdf_table_keeps_header_caption_and_merged_labels(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"指标{kind}"
    text = _one(_docx(path) if kind == ".docx" else _pdf(path, [HEADER, *ROWS, ["", "覆盖职工27.9万人", ""]])).text
    assert text.splitlines() == [
        "2019年龙岗区总工会工作总结",
        "表1 2019年主要工作指标",
        "【表1：2019年主要工作指标】指标：百人以上企业建会率；2019年：98.9%；2020年目标：全覆盖。",
        "【表1：2019年主要工作指标】指标：25-99人企业建会率；2019年：74.4%；2020年目标：基本全覆盖。",
        "【表1：2019年主要工作指标】指标：25-99人企业建会率；2019年：覆盖职工27.9万人。",
        "全年完成2346宗劳资纠纷调处工作。",
    ]


def _xlsx(path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "建会情况"
    sheet.append(["指标", "2019年", "统计日期"])
    sheet.append(["百人以上企业建会率", 0.989, dt.date(2019, 12, 31)])
    sheet.append(["25-99人企业建会率", 0.744, None])
    for row in (2, 3):
        sheet.cell(row, 2).number_format = "0.0%"
    other = book.create_sheet("服务")
    other.append(["项目", "数量"])
    other.append(["新办理会员服务卡（万张）", 13.3])
    other.append(["培训活动（场）", 622.0])
    book.save(path)
    return path


def test_an_xlsx_sheet_is_a_captioned_table(tmp_path: Path) -> None:
    assert _one(_xlsx(tmp_path / "指标.xlsx")).text.splitlines() == [
        "【建会情况】指标：百人以上企业建会率；2019年：98.9%；统计日期：2019年12月31日。",
        "【建会情况】指标：25-99人企业建会率；2019年：74.4%。",
        "【服务】项目：新办理会员服务卡（万张）；数量：13.3。",
        "【服务】项目：培训活动（场）；数量：622。",
    ]


def _pdf(path: Path, rows: list[list[str]]) -> Path:
    """A text PDF (STSong-Light, as reportlab writes it) with a ruled table between paragraphs."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate
    from reportlab.platypus import Table as PdfTable

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=16, wordWrap="CJK")
    table = PdfTable(rows, style=[("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                                  ("GRID", (0, 0), (-1, -1), 0.5, "black"), ("SPAN", (0, 2), (0, 3))])
    SimpleDocTemplate(str(path), pagesize=A4).build([
        Paragraph("2019年龙岗区总工会工作总结", style), Paragraph("表1 2019年主要工作指标", style), table,
        Paragraph("全年完成2346宗劳资纠纷调处工作。", style)])
    return path


def test_a_gbk_csv_is_a_table_captioned_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "2019年指标.csv"
    path.write_bytes("指标,2019年\n百人以上企业建会率,98.9%\n25-99人企业建会率,74.4%\n".encode("gb18030"))
    assert _one(path).text.splitlines() == ["【2019年指标】指标：百人以上企业建会率；2019年：98.9%。",
                                            "【2019年指标】指标：25-99人企业建会率；2019年：74.4%。"]


@pytest.mark.parametrize(("name", "data", "says"), [
    ("旧文件.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "save it as .docx"),
    ("旧文件.wps", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "save it as .docx"),
    ("旧表格.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "save it as .xlsx"),
    ("坏表格.xlsx", b"PK\x03\x04" + b"\0" * 300, "damaged"),
])
def test_legacy_and_damaged_files_are_one_named_failure(tmp_path: Path, name: str, data: bytes, says: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    message = _failure(path)
    assert message.startswith(str(path)) and says in message


def test_a_question_about_one_cell_finds_the_row(fake_app: App, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    _docx(folder / "指标.docx")
    _xlsx(folder / "指标.xlsx")
    (folder / "说明.txt").write_text("龙岗区总工会2019年开展职工服务工作，建会工作稳步推进。", encoding="utf-8")
    ingest_paths(fake_app, [folder])
    hits = fake_app.retriever.search("25-99人企业建会率2019年是多少", k=3).hits
    assert "25-99人企业建会率；2019年：74.4%" in hits[0].chunk.text
    assert hits[0].chunk.source in ("指标.docx", "指标.xlsx")


_BUILD = table_lines(Table("表1 2019年龙岗区工会组织建设情况", [
    ["指标", "2019年完成", "年度任务"], ["百人以上企业建会率", "98.9%", "95%"],
    ["25-99人企业建会率", "74.4%", "三年组建规划"], ["职工之家", "34家", ""], ["民主管理示范单位", "23家", ""]]))
_SERVE = table_lines(Table("维权工作", [["项目", "数量", "单位"], ["劳资纠纷调处", "2346", "宗"],
                                     ["为职工争取经济利益", "1.8", "亿元"], ["集体合同", "357", "份"]]))


@pytest.mark.parametrize(("question", "answer", "status", "note"), [
    # a cell's figure is bound to its row label and column header, across the row's "；"
    ("2019年龙岗区25-99人企业建会率是多少？", "2019年龙岗区25-99人企业建会率为74.4%[1]。", "verified", ""),
    ("2019年龙岗区百人以上企业建会率是多少？", "2019年龙岗区百人以上企业建会率为98.9%[1]。", "verified", ""),
    ("2019年龙岗区打造了多少家职工之家？", "2019年龙岗区打造了34家职工之家[1]。", "verified", ""),
    ("2019年龙岗区有多少家民主管理示范单位？", "民主管理示范单位有23家[1]。", "verified", ""),
    ("2019年龙岗区百人以上企业建会的年度任务是多少？", "年度任务是95%[1]。", "verified", ""),
    ("2019年龙岗区完成了多少宗劳资纠纷调处？", "2019年完成劳资纠纷调处2346宗[2]。", "verified", ""),
    ("2019年龙岗区签订了多少份集体合同？", "签订集体合同357份[2]。", "verified", ""),
    # another row's or another column's value is no answer
    ("2019年龙岗区25-99人企业建会率是多少？", "2019年龙岗区25-99人企业建会率为98.9%[1]。", "flagged",
     "98.9% is stated for something else in the passages (资料为74.4%)"),
    ("2019年龙岗区百人以上企业建会的年度任务是多少？", "年度任务是98.9%[1]。", "flagged",
     "98.9% is stated for something else in the passages (资料为95%)"),
    ("2019年龙岗区有多少家民主管理示范单位？", "民主管理示范单位有34家[1]。", "flagged",
     "34家 is stated for something else in the passages (资料为23家)"),
    ("2019年龙岗区签订了多少份集体合同？", "签订集体合同2346份[2]。", "flagged",
     "2346份 is stated for something else in the passages (资料为357份)"),
    # a bare figure is read with the question's words: the column asked, the row asked
    ("2019年龙岗区百人以上企业建会率是多少？", "98.9%[1]。", "verified", ""),
    ("2019年龙岗区百人以上企业建会的年度任务是多少？", "95%[1]。", "verified", ""),
    ("2019年龙岗区百人以上企业建会的年度任务是多少？", "2019年完成：98.9%[1]。", "flagged",
     "98.9% is stated for something else in the passages (资料为95%)"),
    ("2019年龙岗区有多少家民主管理示范单位？", "23家[1]。", "verified", ""),
    ("2019年龙岗区有多少家民主管理示范单位？", "2019年完成：74.4%[1]。", "flagged",
     "74.4% is stated for something else in the passages"),
])
def test_the_checker_reads_a_cell_with_its_row_and_column(question: str, answer: str, status: str, note: str) -> None:
    from rag.evidence import Evidence
    from rag.verify import verify_answer

    passages = [Evidence(text="\n".join(_BUILD), title="2019年龙岗区工会组织建设情况"),
                Evidence(text="\n".join(_SERVE), title="2019年龙岗区工会工作统计")]
    [check] = verify_answer(answer, passages, question).sentences
    assert (check.status, "；".join(check.notes)) == (status, note)
