"""Taxonomy page: the guide's topics as a sunburst, with how much of each branch is in the library and read."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import streamlit as st

from ingest.models import DocStatus, Guide, Reference, RefKind, TaxonomyNode
from ui.app import data, resources
from ui.app.i18n import t
from ui.app.widgets import call

NODE_KEY = "taxonomy_node"
CHART_KEY = "taxonomy_chart"
PLAN_TOPICS_KEY = "plan_topics"  # read by the plan page to pre-fill its form
ROOT_ID = "·"  # plotly needs a non-empty id for the root; the guide's own root id is ""
# The three lists a node shows, by the kinds of reference in each.
GROUPS: dict[str, tuple[RefKind, ...]] = {
    "papers": (RefKind.ARXIV, RefKind.PDF_URL, RefKind.PAPER_TITLE),
    "repos": (RefKind.GITHUB, RefKind.GITEE),
    "courses": (RefKind.COURSE, RefKind.BOOK, RefKind.WEB),
}


@dataclass(frozen=True)
class Branch:
    """What one node's branch holds: its references, those stored in the library, those read."""

    refs: frozenset[str]
    held: frozenset[str]
    read: frozenset[str]

    def share(self, part: frozenset[str]) -> float:
        """The fraction of the branch's references in `part` (0 for a branch without references)."""
        return len(part) / len(self.refs) if self.refs else 0.0


def branches(guide: Guide, stored: dict[str, DocStatus], read: set[str]) -> dict[str, Branch]:
    """node_id -> its Branch; a reference is held when its source is stored and fetched (status ok)."""
    out: dict[str, Branch] = {}

    def visit(node: TaxonomyNode) -> frozenset[str]:
        refs = frozenset(node.ref_ids).union(*(visit(child) for child in node.children))
        source = {ref_id: guide.reference(ref_id) for ref_id in refs}
        held = {r for r, ref in source.items() if ref and stored.get(ref.source_id) is DocStatus.OK}
        done = {r for r, ref in source.items() if ref and ref.source_id in read}
        out[node.node_id] = Branch(refs, frozenset(held), frozenset(done))
        return refs

    visit(guide.root)
    return out


def node_label(node: TaxonomyNode) -> str:
    """The node's label in the interface language; the root stands for the whole guide."""
    return data.topic_name(node) if node.node_id else t("taxonomy.whole_guide")


def figure(guide: Guide, counts: dict[str, Branch]) -> go.Figure:
    """A sunburst of the taxonomy: size from the references, colour from the share in the library."""
    ids, parents, labels, values, colours, data = [], [], [], [], [], []
    stack: list[tuple[TaxonomyNode, str]] = [(guide.root, "")]
    while stack:
        node, parent = stack.pop()
        branch = counts[node.node_id]
        ids.append(node.node_id or ROOT_ID)
        parents.append(parent)
        labels.append(node_label(node))
        values.append(1 + len(node.ref_ids))  # +1: topics without references still get a sliver
        colours.append(branch.share(branch.held))
        data.append((len(branch.refs), len(branch.held), len(branch.read)))
        stack.extend((child, node.node_id or ROOT_ID) for child in reversed(node.children))
    chart = go.Sunburst(
        ids=ids, parents=parents, labels=labels, values=values, branchvalues="remainder", maxdepth=3,
        customdata=data, hovertemplate=t("taxonomy.hover"), insidetextorientation="radial",
        marker={"colors": colours, "colorscale": [[0, "#e8eaed"], [1, "#2e7d32"]], "cmin": 0, "cmax": 1,
                "showscale": True, "colorbar": {"title": {"text": t("taxonomy.colour_scale")}, "tickformat": ".0%"}},
    )
    return go.Figure(chart, layout={"margin": {"t": 8, "l": 8, "r": 8, "b": 8}, "height": 560})


def _take_chart_click() -> None:
    """A click on the sunburst selects that node in the topic list below it."""
    points = st.session_state[CHART_KEY].selection.points
    if points:
        clicked = points[0].get("id", "")
        st.session_state[NODE_KEY] = "" if clicked == ROOT_ID else clicked


def choose_node(guide: Guide, counts: dict[str, Branch]) -> TaxonomyNode:
    """The node picked by a click on the chart or in the topic list (searchable)."""
    nodes = {node.node_id: node for node in guide.root.walk()}
    if st.session_state.get(NODE_KEY) not in nodes:
        st.session_state[NODE_KEY] = ""
    chosen = st.selectbox(
        t("taxonomy.pick_topic"), list(nodes), key=NODE_KEY,
        format_func=lambda n: f"{'  ' * nodes[n].level}{node_label(nodes[n])} ({len(counts[n].refs)})",
    )
    return nodes[chosen]


def _reference_rows(guide: Guide, branch: Branch, kinds: tuple[RefKind, ...]) -> list[dict[str, object]]:
    refs = [r for r in (guide.reference(ref_id) for ref_id in sorted(branch.refs)) if r and r.kind in kinds]
    return [{t("taxonomy.col_title"): ref.title, t("taxonomy.col_status"): _status(ref, branch),
             t("taxonomy.col_link"): ref.url} for ref in sorted(refs, key=lambda r: r.title.lower())]


def _status(ref: Reference, branch: Branch) -> str:
    if ref.ref_id in branch.read:
        return t("taxonomy.status_read")
    return t("taxonomy.status_held") if ref.ref_id in branch.held else t("taxonomy.status_missing")


def show_references(guide: Guide, branch: Branch) -> None:
    """The branch's papers, repositories and courses, each marked in the library or read."""
    tabs = st.tabs([t(f"taxonomy.tab_{group}") for group in GROUPS])
    for tab, kinds in zip(tabs, GROUPS.values(), strict=True):
        rows = _reference_rows(guide, branch, kinds)
        with tab:
            if not rows:
                st.caption(t("taxonomy.none_here"))
                continue
            st.dataframe(rows, hide_index=True, width="stretch", column_config={
                t("taxonomy.col_link"): st.column_config.LinkColumn(display_text=t("taxonomy.open"))})


def show_children(node: TaxonomyNode, counts: dict[str, Branch]) -> None:
    """The node's sub-topics with their reference counts and progress bars."""
    if not node.children:
        return
    rows = [{t("taxonomy.col_topic"): node_label(child), t("taxonomy.col_refs"): len(counts[child.node_id].refs),
             t("taxonomy.col_held"): counts[child.node_id].share(counts[child.node_id].held),
             t("taxonomy.col_read"): counts[child.node_id].share(counts[child.node_id].read)}
            for child in node.children]
    share = st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)
    st.dataframe(rows, hide_index=True, width="stretch",
                 column_config={t("taxonomy.col_held"): share, t("taxonomy.col_read"): share})


def show_node(guide: Guide, node: TaxonomyNode, counts: dict[str, Branch]) -> None:
    """One topic: its numbers, its sub-topics, its references, and a button to plan it."""
    branch = counts[node.node_id]
    st.subheader(node_label(node))
    if node.stage is not None:
        st.caption(t("taxonomy.stage", stage=node.stage))
    left, middle, right = st.columns(3)
    left.metric(t("taxonomy.metric_refs"), len(branch.refs))
    middle.metric(t("taxonomy.metric_held"), len(branch.held), f"{branch.share(branch.held):.0%}", delta_color="off")
    right.metric(t("taxonomy.metric_read"), len(branch.read), f"{branch.share(branch.read):.0%}", delta_color="off")
    show_children(node, counts)
    show_references(guide, branch)
    if st.button(t("taxonomy.plan_button"), icon=":material/event_note:", type="primary", disabled=not branch.refs,
                 key="taxonomy_plan"):
        st.session_state[PLAN_TOPICS_KEY] = [node.node_id]
        st.switch_page("views/plan.py")


def choose_guide(guides: list[Guide]) -> Guide:
    """The guide to show: the only one, or the one picked when several are installed."""
    if len(guides) == 1:
        return guides[0]
    return st.selectbox(t("taxonomy.pick_guide"), guides, format_func=lambda g: g.name)


def page() -> None:
    """Render the taxonomy page."""
    st.title(t("taxonomy.title"))
    st.caption(t("taxonomy.intro"))
    guides = call(resources.guides)
    if not guides:
        st.stop()
    guide = choose_guide(guides)
    documents = data.documents()
    stored = {doc.source_id: doc.status for doc in documents}
    counts = branches(guide, stored, data.done_sources())
    st.plotly_chart(figure(guide, counts), key=CHART_KEY, on_select=_take_chart_click, selection_mode="points")
    show_node(guide, choose_node(guide, counts), counts)


page()
