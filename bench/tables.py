"""Table questions (``python -m bench.ocr tables --out W [--answers]``): the figures of the 2019 Longgang
work summary laid out as a .docx table, two .xlsx sheets, a .csv and a ruled table in a text PDF,
20 questions about one cell each, asked of a store holding those files and the other three seed documents (the 2019 summary
itself, which states the same figures in prose, is left out). Recall@5 by the file that holds the
cell; with ``--answers`` the 1.5B answers them (accuracy by ``must_include``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "sample_corpus"
BUILD = "2019年龙岗区工会组织建设情况.docx"
SERVE = "2019年龙岗区工会工作统计.xlsx"
NEEDY = "2019年困难职工帮扶.csv"
HOMES = "龙岗区模范职工之家.pdf"

QUESTIONS = [
    ("2019年龙岗区百人以上企业建会率是多少？", ["98.9%"], BUILD),
    ("2019年龙岗区百人以上企业建会的年度任务是多少？", ["95%"], BUILD),
    ("2019年龙岗区25-99人企业建会率是多少？", ["74.4%"], BUILD),
    ("2019年龙岗区打造了多少家职工之家？", ["34"], BUILD),
    ("2019年龙岗区有多少家民主管理示范单位？", ["23"], BUILD),
    ("2019年龙岗区工会组织建设综合示范点有几家？", ["13"], BUILD),
    ("2019年龙岗区完成了多少宗劳资纠纷调处？", ["2346"], SERVE),
    ("2019年龙岗区工会为职工争取了多少经济利益？", ["1.8"], SERVE),
    ("2019年龙岗区签订了多少份集体合同？", ["357"], SERVE),
    ("2019年龙岗区集体合同覆盖多少职工？", ["27.9"], SERVE),
    ("2019年龙岗区处理了多少宗诉前调解案件？", ["217"], SERVE),
    ("2019年龙岗区新办理了多少张会员服务卡？", ["13.3"], SERVE),
    ("2019年龙岗区完成了多少条会员信息采集？", ["50.3"], SERVE),
    ("2019年龙岗区组织了多少场职工培训活动？", ["622"], SERVE),
    ("2019年龙岗区慰问了多少名困难职工？", ["240"], NEEDY),
    ("2019年龙岗区资助了多少名困难职工学子？", ["106"], NEEDY),
    ("龙岗区累计打造了多少个全国模范职工之家？", ["6"], HOMES),
    ("龙岗区累计打造了多少个省级模范职工之家？", ["7"], HOMES),
    ("龙岗区有多少个市级模范职工之家？", ["13"], HOMES),
    ("龙岗区有多少个省级模范职工小家？", ["1"], HOMES),
]


def write_tables(folder: Path) -> None:
    import docx
    import openpyxl

    d = docx.Document()
    d.add_paragraph("龙岗区总工会2019年工作总结附表")
    d.add_paragraph("表1 2019年龙岗区工会组织建设情况")
    rows = [["指标", "2019年完成", "年度任务"], ["百人以上企业建会率", "98.9%", "95%"],
            ["25-99人企业建会率", "74.4%", "三年组建规划"], ["职工之家", "34家", ""],
            ["民主管理示范单位", "23家", ""], ["工会组织建设综合示范点", "13家", ""]]
    table = d.add_table(rows=len(rows), cols=3)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    d.save(str(folder / BUILD))

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "维权工作"
    counts: list[list[object]] = [["项目", "数量", "单位"], ["劳资纠纷调处", 2346, "宗"], ["为职工争取经济利益", 1.8, "亿元"],
                                   ["签订集体合同", 357, "份"], ["集体合同覆盖职工", 27.9, "万人"], ["诉前调解案件", 217, "宗"]]
    for values in counts:
        sheet.append(values)
    other = book.create_sheet("服务职工")
    for row in (["项目", "2019年"], ["新办理会员服务卡", "13.3万张"], ["会员信息采集", "50.3万条"],
                ["职工培训活动", "622场"]):
        other.append(row)
    book.save(folder / SERVE)
    (folder / NEEDY).write_text("项目,人数\n慰问困难职工,240\n资助困难职工学子,106\n", encoding="utf-8")
    write_pdf_table(folder / HOMES)


def write_pdf_table(path: Path) -> None:
    """A text PDF with a ruled table (reportlab, STSong-Light), as an office exports one."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=16, wordWrap="CJK")
    rows = [["级别", "模范职工之家", "模范职工小家"], ["全国", "6个", "1个"], ["省级", "7个", "1个"], ["市级", "13个", ""]]
    table = Table(rows, style=[("FONTNAME", (0, 0), (-1, -1), "STSong-Light"), ("GRID", (0, 0), (-1, -1), 0.5, "black")])
    SimpleDocTemplate(str(path), pagesize=A4).build([
        Paragraph("龙岗区总工会职工之家建设情况（截至2019年底）", style),
        Paragraph("表2 龙岗区累计打造的模范职工之家", style), table])


def run(out: Path, answers: bool) -> int:
    from rag.app import App
    from rag.evalmetrics import compute_metrics
    from rag.evaluate import EvalMode, EvalPipeline, run_eval
    from rag.ingest import ingest
    from rag.settings import load_settings

    shutil.rmtree(out, ignore_errors=True)
    corpus = out / "corpus"
    corpus.mkdir(parents=True)
    write_tables(corpus)
    for seed in SEEDS.iterdir():
        if not seed.name.startswith("001_"):
            shutil.copy(seed, corpus / seed.name)
    items = [{"id": f"table-{n:02d}", "type": "table", "question": q, "answer": "", "must_include": m, "sources": [s]}
             for n, (q, m, s) in enumerate(QUESTIONS, 1)]
    set_path = out / "tables.jsonl"
    set_path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    app = App(load_settings(overrides={"store": str(out / "store")}))
    with app.writer() as writer:
        report = ingest([corpus], writer, app.settings, app.encoder)
    app.close_store()
    if report.failures:
        raise SystemExit(f"ingest failures: {report.failures}")
    mode: EvalMode = "answer" if answers else "retrieval"
    records = run_eval(EvalPipeline.from_app(app, mode), set_path, mode, out / f"run_{mode}", fresh=True)
    metrics = compute_metrics(records)
    r = metrics["retrieval"]["hybrid"]
    print(f"table questions: {len(items)}; Recall@1 {r['recall@1']:.3f}  Recall@5 {r['recall@5']:.3f}  "
          f"MRR@10 {r['mrr@10']:.3f}")
    for rec in records:
        top = rec.retrieved[0].source if rec.retrieved else "-"
        print(f"  {rec.id} top1={top}  {rec.question}" + (f"  -> {rec.answer}" if answers else ""))
    if answers:
        a = metrics["answer"]
        print(f"answers: accuracy {a['accuracy']:.3f}, false refusals {a['false_refusal_rate']:.3f}, "
              f"citation precision {a['citation_precision']}")
    return 0
