"""Plans as JSON-ready dicts (to save and print) and as Markdown with links (to read and share)."""

from __future__ import annotations

import dataclasses
from typing import Any

from assistant.errors import PlanError
from assistant.models import Plan, PlanItem, PlanWeek
from ingest.models import Reference, RefKind

_LABELS = {
    "en": {"title": "Reading plan", "hours": "Hours per week", "weeks": "Weeks", "topics": "Topics",
           "prefer": "Preference", "made": "Made", "week": "Week {n}", "why": "Why", "after": "After",
           "code": "Code", "check": "Check yourself", "skipped": "Skipped (already known)",
           "left": "Left out (not enough time)", "needs": "Needs {n} more week(s) to cover these.",
           "would": "would be week {w}", "empty": "Nothing scheduled: spare time.", "h": "h"},
    "zh": {"title": "阅读计划", "hours": "每周小时数", "weeks": "周数", "topics": "主题", "prefer": "偏好",
           "made": "制定于", "week": "第 {n} 周", "why": "为什么", "after": "前置", "code": "代码",
           "check": "自测问题", "skipped": "已跳过（已掌握）", "left": "未排入（时间不够）",
           "needs": "还需要 {n} 周才能学完这些。", "would": "将排在第 {w} 周", "empty": "本周没有安排：机动时间。",
           "h": "小时"},
}


_REMAKE = "make a new one with `readpath plan --goal ...`."


def reference_url(ref: Reference) -> str | None:
    """Where a reader opens a work: the arXiv abstract page, the repository, or the guide's link."""
    if ref.kind is RefKind.ARXIV:
        return f"https://arxiv.org/abs/{ref.source_id}"
    if ref.kind is RefKind.GITHUB:
        return f"https://github.com/{ref.source_id}"
    if ref.kind is RefKind.GITEE:
        return f"https://gitee.com/{ref.source_id}"
    return ref.url


def repo_url(name: str) -> str:
    """The GitHub page of an owner/name repository."""
    return f"https://github.com/{name}"


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as plain JSON values (what `--json` prints and what is saved)."""
    return dataclasses.asdict(plan)


def _fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def plan_from_dict(data: Any) -> Plan:
    """A plan from its saved dict; PlanError when the data is not a plan."""
    try:
        weeks = [PlanWeek(**{**_fields(PlanWeek, w), "items": [PlanItem(**_fields(PlanItem, i)) for i in w["items"]]})
                 for w in data["weeks"]]
        plan = Plan(**{**_fields(Plan, data), "weeks": weeks})
    except (KeyError, TypeError, AttributeError) as exc:
        raise PlanError(f"The saved plan is damaged ({exc!r}); {_REMAKE}") from exc
    if not isinstance(plan.goal, str) or not isinstance(plan.hours_per_week, int | float):
        raise PlanError(f"The saved plan is damaged (goal or hours); {_REMAKE}")
    return plan


def weeks_needed(plan: Plan) -> int:
    """How many weeks beyond the plan's end the left-out items need (0 when everything fits)."""
    return max((int(str(e.get("weeks_needed", 0))) for e in plan.left_out), default=0)


def _link(title: str, url: str | None) -> str:
    text = title.replace("[", "(").replace("]", ")")
    return f"[{text}]({url})" if url else text


def _item_lines(n: int, item: PlanItem, titles: dict[str, str], words: dict[str, str]) -> list[str]:
    box = "x" if item.done else " "
    head = f"{n}. [{box}] **{_link(item.title, item.url)}** · {item.kind} · {item.hours:g} {words['h']}"
    lines = [f"{head} · `{item.id}`"]
    if item.why:
        lines.append(f"   - {words['why']}: {item.why}")
    if item.requires:
        lines.append(f"   - {words['after']}: {'; '.join(titles.get(r, r) for r in item.requires)}")
    if item.implementations:
        lines.append(f"   - {words['code']}: {', '.join(_link(r, repo_url(r)) for r in item.implementations)}")
    if item.questions:
        lines.append(f"   - {words['check']}:")
        lines.extend(f"     - {q}" for q in item.questions)
    return lines


def plan_markdown(plan: Plan) -> str:
    """The plan as Markdown: weeks with linked items, then what was skipped and left out."""
    words = _LABELS.get(plan.language, _LABELS["en"])
    titles = {i.id: i.title for w in plan.weeks for i in w.items}
    titles |= {str(e["id"]): str(e["title"]) for e in plan.left_out}
    out = [f"# {words['title']}: {plan.goal}", "",
           f"- {words['hours']}: {plan.hours_per_week:g} · {words['weeks']}: {len(plan.weeks)}"]
    if plan.topics:
        out.append(f"- {words['topics']}: {', '.join(plan.topics)}")
    if plan.preference:
        out.append(f"- {words['prefer']}: {plan.preference}")
    if plan.created_at:
        out.append(f"- {words['made']}: {plan.created_at}")
    for week in plan.weeks:
        out += ["", f"## {words['week'].format(n=week.week)} · {week.hours:g} {words['h']}", ""]
        out += [line for n, item in enumerate(week.items, 1) for line in _item_lines(n, item, titles, words)]
        if not week.items:
            out.append(words["empty"])
    if plan.skipped:
        out += ["", f"## {words['skipped']}", ""]
        out += [f"- {e['title']} (`{e['id']}`): {e['note']}" for e in plan.skipped]
    if plan.left_out:
        out += ["", f"## {words['left']}", "", words["needs"].format(n=weeks_needed(plan)), ""]
        out += [f"- {e['title']} · {e['hours']:g} {words['h']} · {words['would'].format(w=e['week'])} (`{e['id']}`)"
                for e in plan.left_out]
    return "\n".join(out) + "\n"
