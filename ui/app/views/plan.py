"""Plan page: the plan form, the week-by-week path with items to tick off, re-planning, Markdown download."""

from __future__ import annotations

import streamlit as st

from assistant.models import Plan, PlanItem
from assistant.plans import PREFERENCES, PlanRequest
from ui.app import data, resources
from ui.app.i18n import language, t
from ui.app.widgets import attempt, call
from ui.services import plans

PLAN_TOPICS_KEY = "plan_topics"  # set by the taxonomy page's "plan this topic" button
NOTES_KEY = "plan_notes"
# Material icons, not emoji: they render the same in every browser and font set.
KIND_ICONS = {"paper": ":material/article:", "repo": ":material/code:", "course": ":material/school:",
              "book": ":material/menu_book:", "web": ":material/language:"}


def topic_options(plan: Plan | None) -> dict[str, str]:
    """Topic id -> label: the prerequisite graph's topics, plus guide sections asked for from the taxonomy."""
    graph = call(plans.load_graph, resources.context())
    options = {tid: topic.label(language()) for tid, topic in (graph.topics.items() if graph else [])}
    names = data.topic_names()
    for extra in [*st.session_state.get(PLAN_TOPICS_KEY, []), *(plan.topics if plan else [])]:
        options.setdefault(extra, names.get(extra, extra))
    return options


def build(request: PlanRequest, use_llm: bool) -> None:
    """Make the plan with a progress indicator; its notes are kept to show with it."""
    with st.status(t("plan.building"), expanded=False) as status:
        result = call(plans.make_plan, resources.context(), request, use_llm=use_llm)
        status.update(label=t("plan.built") if result else t("plan.not_built"),
                      state="complete" if result else "error")
    if result is not None:
        st.session_state[NOTES_KEY] = result.notes
        st.session_state.pop(PLAN_TOPICS_KEY, None)


def plan_form(plan: Plan | None) -> None:
    """Goal, topics, weekly hours, weeks, what is known; builds a new plan when submitted."""
    options = topic_options(plan)
    preset = st.session_state.get(PLAN_TOPICS_KEY) or (plan.topics if plan else [])
    with st.form("plan_form"):
        goal = st.text_input(t("plan.goal"), value=plan.goal if plan else "", placeholder=t("plan.goal_hint"))
        topics = st.multiselect(t("plan.topics"), list(options), default=[p for p in preset if p in options],
                                format_func=options.__getitem__)
        left, right = st.columns(2)
        hours = left.number_input(t("plan.hours"), 1.0, 80.0, plan.hours_per_week if plan else 6.0, 1.0)
        weeks = right.number_input(t("plan.weeks"), 1, 104, len(plan.weeks) if plan else 4)
        know = st.multiselect(t("plan.know"), list(options), default=[k for k in (plan.know if plan else [])
                                                                        if k in options],
                              format_func=options.__getitem__)
        preference = st.selectbox(t("plan.preference"), [None, *PREFERENCES],
                                  format_func=lambda p: t(f"plan.prefer_{p or 'none'}"))
        use_llm = st.checkbox(t("plan.use_llm"), value=False, help=t("plan.use_llm_help"))
        if st.form_submit_button(t("plan.make"), type="primary", icon=":material/route:"):
            # Re-planning keeps progress: what was ticked off counts as known in the new plan.
            ticked = tuple(dict.fromkeys(i.source_id for w in plan.weeks for i in w.items if i.done)) if plan else ()
            build(PlanRequest(goal.strip(), float(hours), int(weeks), tuple(topics), (*know, *ticked), language(),
                              preference), use_llm)


def tick(item_id: str) -> None:
    """Mark one item done; the service re-plans the weeks after this one."""
    result = call(plans.mark_item_done, resources.context(), item_id, use_llm=False)
    if result is not None:
        st.session_state[NOTES_KEY] = result.notes


def show_item(item: PlanItem) -> None:
    """One item: a checkbox to mark it done, and why, what to ask, where to find it."""
    label = f"{KIND_ICONS.get(item.kind, ':material/circle:')} {item.title} · {item.hours:g} h"
    # The saved plan is the truth: a done item gets a new widget (new key) that shows it ticked and locked.
    st.checkbox(label, value=item.done, disabled=item.done, key=f"plan-item-{item.id}-{item.done}",
                on_change=tick, args=(item.id,), help=t("plan.tick_help"))
    details = [item.why, *(f":material/help: {q}" for q in item.questions)]
    if item.implementations:
        details.append(t("plan.implementations", repos=", ".join(item.implementations)))
    if item.url:
        details.append(f"[{item.url}]({item.url})")
    if any(details):
        st.caption("  \n".join(d for d in details if d))


def show_plan(plan: Plan) -> None:
    """The plan week by week, with its progress, what was skipped and what did not fit."""
    items = [item for week in plan.weeks for item in week.items]
    done = sum(item.done for item in items)
    st.progress(done / max(len(items), 1), text=t("plan.progress", done=done, total=len(items)))
    for note in st.session_state.get(NOTES_KEY, []):
        st.info(note)
    for week in plan.weeks:
        with st.container(border=True):
            st.markdown(f"**{t('plan.week', week=week.week)}** · {week.hours:g} h")
            for item in week.items:
                show_item(item)
    if plan.skipped:
        with st.expander(t("plan.skipped", n=len(plan.skipped))):
            st.markdown("\n".join(f"- {s.get('title', s.get('id'))}: {s.get('note', '')}" for s in plan.skipped))
    if plan.left_out:
        with st.expander(t("plan.left_out", n=len(plan.left_out))):
            st.markdown("\n".join(f"- {e.get('title', e.get('id'))}" for e in plan.left_out))


def downloads() -> None:
    """The saved plan as Markdown."""
    markdown = call(plans.export_plan, resources.context().settings, "md")
    if markdown:
        st.download_button(t("plan.download"), markdown, file_name="readpath-plan.md", mime="text/markdown",
                           on_click="ignore", icon=":material/download:")


def page() -> None:
    """Render the plan page."""
    st.title(t("plan.title"))
    plan, missing = attempt(plans.current_plan, resources.context().settings)
    asked = bool(st.session_state.get(PLAN_TOPICS_KEY))
    with st.expander(t("plan.form") if plan else t("plan.form_first"), expanded=plan is None or asked):
        plan_form(plan)
    plan, _ = attempt(plans.current_plan, resources.context().settings)  # a plan just made shows at once
    if plan is None:
        st.caption(missing or "")
        return
    header, button = st.columns([4, 1], vertical_alignment="bottom")
    header.subheader(plan.goal or ", ".join(plan.topics))
    with button:
        downloads()
    show_plan(plan)


page()
