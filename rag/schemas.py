"""Summary schemas: what the model is asked to fill (drafts, small and citation by passage number)
and what a summary record holds after verification (every item with its chunk citation)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

# --- drafts: the JSON the model writes for one group of numbered passages ----------------------------


class ReviewDraft(BaseModel):
    item: str = Field(max_length=120, description="做了什么")
    figures: list[str] = Field(max_length=6, description="数字指标，原文照抄")
    cite: int = Field(description="依据的资料编号")


class PlanDraft(BaseModel):
    goal: str = Field(max_length=80, description="目标")
    measures: list[str] = Field(max_length=4, description="措施")
    targets: list[str] = Field(max_length=4, description="量化指标/目标值（数值和单位）")
    owner: str = Field(max_length=40, description="责任主体，原文没有则为空")
    deadline: str = Field(max_length=30, description="时间节点，原文没有则为空")
    cite: int


class ProblemDraft(BaseModel):
    item: str = Field(max_length=100)
    cite: int


class ReviewGroupDraft(BaseModel):
    review: list[ReviewDraft] = Field(max_length=6)
    problems: list[ProblemDraft] = Field(max_length=3)


class PlanGroupDraft(BaseModel):
    plan: list[PlanDraft] = Field(max_length=5)


class OtherGroupDraft(BaseModel):
    review: list[ReviewDraft] = Field(max_length=4)
    plan: list[PlanDraft] = Field(max_length=3)


PHRASE_CHARS = 60


class AreaPhrase(BaseModel):
    n: int
    summary: str = Field(max_length=PHRASE_CHARS, description="一句话概括")


class AreasDraft(BaseModel):
    items: list[AreaPhrase] = Field(max_length=10)


class HeaderDraft(BaseModel):
    issuer: str = Field(max_length=40, description="发文机关/主办单位全称，原文照抄")


class NewsDraft(BaseModel):
    event: str = Field(max_length=120)
    time: str = Field(max_length=40)
    place: str = Field(max_length=40)
    participants: list[str] = Field(max_length=8)
    decisions: list[str] = Field(max_length=6)
    cite: int


def draft_schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


# --- records: a verified summary of one document -----------------------------------------------------


class Citation(BaseModel):
    chunk_id: int
    section: str
    source: str


class ReviewItem(BaseModel):
    item: str
    figures: list[str]
    citations: list[Citation] = Field(min_length=1)
    section: str = ""
    summary: str = ""  # the model's one-sentence phrasing, checked against the area's text ("" if none passed)
    points: list[str] = Field(default_factory=list)


class PlanItem(BaseModel):
    goal: str
    measures: list[str]
    targets: list[str]
    owner: str
    deadline: str
    citations: list[Citation] = Field(min_length=1)
    section: str = ""
    summary: str = ""


class ProblemItem(BaseModel):
    item: str
    citations: list[Citation] = Field(min_length=1)


class FigureItem(BaseModel):
    """A clause of the original text that states figures, found by code (not by the model)."""

    kind: str
    text: str
    figures: list[str]
    citations: list[Citation] = Field(min_length=1)


class NewsItem(BaseModel):
    event: str
    time: str
    place: str
    participants: list[str]
    decisions: list[str]
    citations: list[Citation] = Field(min_length=1)


class VerificationReport(BaseModel):
    verified: int = 0
    corrected: list[str] = Field(default_factory=list)
    dropped: list[str] = Field(default_factory=list)


class SummaryRecord(BaseModel):
    doc_id: str
    source: str
    title: str
    date: str | None
    doc_number: str | None
    issuer: str | None = None
    plan_year: int | None = None  # set when the review/plan structure was read from the text
    schema_name: str
    model: str
    review: list[ReviewItem] = Field(default_factory=list)
    plan: list[PlanItem] = Field(default_factory=list)
    problems: list[ProblemItem] = Field(default_factory=list)
    figures: list[FigureItem] = Field(default_factory=list)
    news: list[NewsItem] = Field(default_factory=list)
    custom: list[dict[str, Any]] = Field(default_factory=list)
    brief: str | None = None
    verification: VerificationReport = Field(default_factory=VerificationReport)
    errors: list[str] = Field(default_factory=list)
    seconds: float = 0.0
