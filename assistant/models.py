"""Data classes at the assistant seam: Citations, Answers, Summaries and Plans."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Citation:
    """A numbered source used by an answer, resolved to something a reader can open."""

    key: int
    doc_id: str
    source_id: str
    title: str
    page: int | None
    url: str | None
    quote: str
    heading: str | None = None


@dataclass
class Answer:
    """An answer to a question, with its checked citations."""

    question: str
    answer: str
    language: str  # "zh" or "en"
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    standalone_question: str | None = None  # the follow-up rewritten, when it was
    suggestions: list[str] = field(default_factory=list)  # guide papers that would cover it
    dropped_citations: list[int] = field(default_factory=list)  # keys the model invented
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Summary:
    """A structured summary of one document, cached by (content hash, model, language)."""

    doc_id: str
    language: str
    model: str
    sections: dict[str, str]  # "tldr", "problem", "key_idea", "method", "results", ...
    citations: list[Citation] = field(default_factory=list)


@dataclass
class PlanItem:
    """One thing to read or do in a reading plan."""

    id: str
    kind: str  # paper, repo, course, book, web
    source_id: str
    title: str
    hours: float
    why: str = ""
    requires: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    implementations: list[str] = field(default_factory=list)  # repos implementing a paper
    url: str | None = None
    done: bool = False


@dataclass
class PlanWeek:
    """One week of a plan."""

    week: int
    hours: float
    items: list[PlanItem] = field(default_factory=list)


@dataclass
class Plan:
    """A personalised reading plan, week by week."""

    goal: str
    language: str
    hours_per_week: float
    weeks: list[PlanWeek]
    skipped: list[dict[str, str]] = field(default_factory=list)  # known items, with a note
    left_out: list[dict[str, object]] = field(default_factory=list)  # what did not fit
    topics: list[str] = field(default_factory=list)
    know: list[str] = field(default_factory=list)
    preference: str | None = None
    created_at: str | None = None
