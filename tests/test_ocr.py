"""OCR of scans (the packaged PP-OCRv4 detector and PP-OCRv6 recognizer, really run): images, image-only
and mixed PDFs, traditional characters."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bench.scans import image_pdf, png, render_page
from rag.app import App
from rag.load import Document, LoadFailure, load_file
from rag.metrics import lcs_length
from rag.ocr import Box, layout
from rag.settings import IngestSettings
from tests.conftest import ingest_paths
from tests.test_bad_input import make_pdf

RATE = ("由区分管领导亲自协调，成功推动多个长期未建会企业完成建会，百人以上企业建会率达98.9%，超额完成95%的年度组建任务，"
        "25-99人企业建会率达到74.4%，提前完成三年组建规划。")
CASES = "全年完成2346宗劳资纠纷调处工作，为职工争取各类经济利益1.8亿元。"


def _cer(truth: str, got: str) -> float:
    return 1 - lcs_length(truth, got) / len(truth)


# --- layout, on boxes given by hand ----------------------------------------------------------------

def _box(x0: float, y0: float, x1: float, text: str, h: float = 30) -> Box:
    return Box(x0, y0, x1, y0 + h, text)


def test_lines_join_into_paragraphs_at_indents_short_lines_and_gaps() -> None:
    boxes = [
        _box(160, 100, 1000, "一、总体情况"),  # a short line ends its paragraph
        _box(220, 150, 1500, "2019年，龙岗区工会改革创新取得实质性"),  # indented: a new paragraph
        _box(160, 200, 1500, "成效，推动区委将工会组织建设工作纳入"),
        _box(160, 250, 700, "党建考核。"),
        _box(220, 300, 1500, "全年完成2346宗劳资纠纷调处工作，为"),
        _box(160, 350, 900, "职工争取各类经济利益。"),
        _box(160, 480, 1500, "下一步工作思路"),  # after a wide gap
    ]
    assert layout(boxes[::-1]).splitlines() == [
        "一、总体情况",
        "2019年，龙岗区工会改革创新取得实质性成效，推动区委将工会组织建设工作纳入党建考核。",
        "全年完成2346宗劳资纠纷调处工作，为职工争取各类经济利益。",
        "下一步工作思路",
    ]


def test_two_columns_are_read_left_column_first_under_a_spanning_title() -> None:
    title = [_box(300, 50, 1300, "深化产业工人队伍建设改革工作推进会召开")]
    left = [_box(100, 150 + 50 * i, 780, f"左栏第{i}行内容") for i in range(4)]
    right = [_box(860, 150 + 50 * i, 1540, f"右栏第{i}行内容") for i in range(4)]
    text = layout(right + left + title)
    assert text.replace("\n", "") == "深化产业工人队伍建设改革工作推进会召开" + "".join(
        f"左栏第{i}行内容" for i in range(4)) + "".join(f"右栏第{i}行内容" for i in range(4))
    assert text.index("左栏第3行") < text.index("右栏第0行")


# --- real OCR ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scan() -> bytes:
    """A stamped, noisy page turned 1.5 degrees."""
    return png(render_page([RATE, CASES], rotate=1.5, noise=20, stamp=True, seed=1))


def test_a_scanned_image_is_read_with_its_figures(tmp_path: Path, scan: bytes) -> None:
    path = tmp_path / "扫描件.png"
    path.write_bytes(scan)
    pages: list[tuple[int, int]] = []
    docs = list(load_file(path, on_page=lambda done, total: pages.append((done, total))))
    assert len(docs) == 1 and isinstance(docs[0], Document), docs
    lines = docs[0].text.splitlines()
    assert lines[0] == "〔扫描件第1页，OCR〕" and pages == [(1, 1)]
    body = "".join(lines[1:])
    assert "98.9%" in body and "74.4%" in body and "2346" in body and "1.8亿元" in body
    assert _cer(RATE + CASES, body) <= 0.03


TRADITIONAL = "深化新時代浙江產業工人隊伍建設改革工作推進會在傳化集團召開，會議強調要堅持黨的領導，推動議題落實。"


def test_a_traditional_scan_keeps_its_traditional_characters(tmp_path: Path) -> None:
    from rag.ocr import recognizer

    assert recognizer() is not None and recognizer().name == "PP-OCRv6_rec_small.onnx"  # type: ignore[union-attr]
    path = tmp_path / "繁體掃描件.png"
    path.write_bytes(png(render_page([TRADITIONAL], script="tc", rotate=-1.0, noise=15, seed=2)))
    (doc,) = list(load_file(path))
    assert isinstance(doc, Document), doc
    body = "".join(doc.text.splitlines()[1:]).replace(",", "，")
    # PP-OCRv4's dictionary has none of 隊 黨 議: they were dropped or read as other characters
    assert body == TRADITIONAL


def test_a_page_scanned_upside_down_is_read_turned(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "倒扫.png"
    page = render_page([RATE, CASES], rotate=1.0, noise=15, seed=3)
    path.write_bytes(png(page.transpose(Image.Transpose.ROTATE_180)))
    (doc,) = list(load_file(path))
    assert isinstance(doc, Document), doc
    assert _cer(RATE + CASES, "".join(doc.text.splitlines()[1:])) <= 0.01


def test_a_mixed_pdf_ocrs_only_its_scanned_page_and_marks_it(tmp_path: Path, scan: bytes) -> None:
    from PIL import Image
    from pypdf import PdfReader, PdfWriter

    text_pdf = tmp_path / "text.pdf"
    make_pdf(text_pdf, ["Annual report 2019 of the Longgang district trade union federation"] * 3)
    writer = PdfWriter()
    for data in (text_pdf.read_bytes(), image_pdf([Image.open(io.BytesIO(scan))]), text_pdf.read_bytes()):
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    path = tmp_path / "报告.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    docs = list(load_file(path))
    assert isinstance(docs[0], Document), docs
    lines = docs[0].text.splitlines()
    assert lines[0].startswith("Annual report 2019")
    marker = lines.index("〔扫描件第2页，OCR〕")
    assert "98.9%" in "".join(lines[marker + 1:lines.index("〔第3页〕")])
    assert docs[0].warnings == ["OCR: pages 2 read from images"]
    # OCR off: the text pages are kept and the scanned one is named
    off = list(load_file(path, limits=IngestSettings(ocr=False)))
    assert isinstance(off[0], Document) and "98.9%" not in off[0].text
    assert off[0].warnings == ["pages 2 have no text layer and were skipped (OCR is off: ingest.ocr)"]


def test_a_question_finds_the_scanned_page_and_its_citation_says_ocr(fake_app: App, tmp_path: Path,
                                                                   scan: bytes) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "龙岗区2019年工作总结（扫描件）.pdf").write_bytes(image_pdf([render_page([CASES]),
                                                                        render_page([RATE])]))
    (folder / "说明.txt").write_text("罗湖区建成四级职工服务阵地130多家。", encoding="utf-8")
    report = ingest_paths(fake_app, [folder])
    assert report.failures == []
    hit = fake_app.retriever.search("25-99人企业建会率达到多少", k=1).hits[0]
    assert hit.chunk.source == "龙岗区2019年工作总结（扫描件）.pdf"
    assert hit.chunk.section.startswith("〔扫描件第2页，OCR〕") and "74.4%" in hit.chunk.text


@pytest.mark.parametrize(("name", "data", "says"), [
    ("坏图.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not a readable image"),
    ("空白.png", None, "OCR found no text in the image"),
])
def test_a_bad_image_is_one_named_failure(tmp_path: Path, name: str, data: bytes | None, says: str) -> None:
    path = tmp_path / name
    path.write_bytes(data if data is not None else png(render_page([])))
    docs = list(load_file(path))
    assert len(docs) == 1 and isinstance(docs[0], LoadFailure)
    assert docs[0].path == str(path) and says in docs[0].reason


def test_with_ocr_off_a_scan_is_refused_saying_so(tmp_path: Path) -> None:
    path = tmp_path / "扫描.pdf"
    path.write_bytes(image_pdf([render_page(["测试"])]))
    (failure,) = list(load_file(path, limits=IngestSettings(ocr=False)))
    assert isinstance(failure, LoadFailure)
    assert failure.reason == "PDF has no text layer (scanned images?) and OCR is off (ingest.ocr)"


def test_a_long_scan_shows_pages_per_second_and_does_not_hold_back_the_commit(
        fake_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag import ocr
    from rag.ingest import ingest
    from rag.store import Store

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "1.txt").write_text("罗湖区建成四级职工服务阵地130多家。", encoding="utf-8")
    (folder / "2.pdf").write_bytes(image_pdf([render_page(["第一页"]), render_page(["第二页"])]))
    seen_in_store: list[int] = []

    def fake_ocr(image: object) -> str:  # the pages' order and the store between them, not OCR quality
        reader = Store(fake_app.settings.store_dir)
        try:
            seen_in_store.append(reader.counts()["documents"])
        finally:
            reader.close()
        return f"扫描页{len(seen_in_store)}的文字内容，共有二十个字以上。"

    monkeypatch.setattr(ocr, "ocr_image", fake_ocr)
    fake_app.settings.index.commit_interval_s = 0.0
    lines: list[str] = []
    with fake_app.writer() as writer:
        ingest([folder], writer, fake_app.settings, fake_app.encoder,
               progress=lambda name, n, total: lines.append(f"{n}/{total} {name}"))
    assert seen_in_store == [0, 1]  # 1.txt was committed after the first scanned page, not after the file
    assert lines[0] == "1/2 1.txt" and lines[1] == "2/2 2.pdf"
    assert lines[2].startswith("2/2 2.pdf OCR 1/2页 ") and "页/s 剩余" in lines[2]
    assert lines[3].startswith("2/2 2.pdf OCR 2/2页 ") and lines[3].endswith("剩余0s")


def test_a_folder_of_scans_images_tables_and_text_is_indexed_whole(fake_app: App, tmp_path: Path,
                                                                  scan: bytes) -> None:
    from tests.test_tables import HEADER, ROWS, _docx, _pdf, _xlsx

    folder = tmp_path / "混合文件夹"
    folder.mkdir()
    (folder / "扫描件.pdf").write_bytes(image_pdf([render_page([CASES])]))
    (folder / "照片.png").write_bytes(scan)
    _pdf(folder / "指标表.pdf", [HEADER, *ROWS, ["", "覆盖职工27.9万人", ""]])
    _docx(folder / "指标.docx")
    _xlsx(folder / "统计.xlsx")
    (folder / "帮扶.csv").write_text("项目,人数\n慰问困难职工,240\n", encoding="utf-8")
    (folder / "说明.txt").write_text("罗湖区建成四级职工服务阵地130多家。", encoding="utf-8")
    report = ingest_paths(fake_app, [folder])
    assert (report.added, report.failures) == (7, [])
    found = {q: fake_app.retriever.search(q, k=1).hits[0].chunk for q in (
        "全年完成多少宗劳资纠纷调处工作", "慰问困难职工多少人", "新办理会员服务卡多少万张", "罗湖区建成多少家职工服务阵地")}
    assert {q: c.source for q, c in found.items()} == {
        "全年完成多少宗劳资纠纷调处工作": "扫描件.pdf", "慰问困难职工多少人": "帮扶.csv",
        "新办理会员服务卡多少万张": "统计.xlsx", "罗湖区建成多少家职工服务阵地": "说明.txt"}
    assert found["全年完成多少宗劳资纠纷调处工作"].section.startswith("〔扫描件第1页，OCR〕")
    sources = {h.chunk.source for h in fake_app.retriever.search("25-99人企业建会率2019年", k=8).hits}
    assert {"指标表.pdf", "指标.docx", "统计.xlsx", "照片.png"} <= sources
