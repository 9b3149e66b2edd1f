"""The taxonomy tree of a guide, built from its typed lines, with the works each node cites."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ingest.guide.labels import clean_label, slugify, split_bilingual
from ingest.guide.lines import Line, LineKind
from ingest.guide.refs import Mention, leftover_text, line_mentions, title_list_kind, title_mentions
from ingest.models import RefKind, TaxonomyNode
from ingest.text import CJK_CHARS, LINK_RE, has_cjk, render_links

MAX_LABEL = 80  # a longer bullet is a sentence of prose, not a topic
MAX_PLAIN_HEADING = 60  # a plain line longer than this is a paragraph even when a list follows
# "AI：人工智能得益于…" and "Operating system: the kernel…" name the topic before the colon.
_TOPIC_COLON_RE = re.compile(r"^(.{1,40}?)\s*[:：]\s*(.+)$")
# A comma or full stop next to an ideograph joins clauses: Chinese prose, not a topic.
_CLAUSE_RE = re.compile(rf"[{CJK_CHARS}][,，;；。]|[,，;；。]\s*[{CJK_CHARS}]")
_PARENTHETICAL_RE = re.compile(r"[（(][^（）()]*[)）]")
_SENTENCE_END = tuple(".!?,;。！？，；、")
_COLON_END = (":", "：")


@dataclass(frozen=True)
class Citation:
    """A mention placed in the tree: where it is, at which line, and the line's own words."""

    mention: Mention
    node: TaxonomyNode
    line_no: int
    note: str | None  # None: the node's nearest paragraph speaks for it


def _bullet_label(text: str) -> str:
    label = clean_label(text)
    topic = _TOPIC_COLON_RE.match(label)
    if topic is None:
        return label
    head, tail = topic.groups()
    # A long tail, or one in the other language ("Robotics：研究机器人相关技术"), describes the head.
    return head if len(tail) >= 12 or has_cjk(head) != has_cjk(tail) else label


def _is_prose(label: str) -> bool:
    outside = _PARENTHETICAL_RE.sub("", label)
    return (len(label) > MAX_LABEL or bool(_CLAUSE_RE.search(outside))
            or (outside.endswith((".", "。")) and len(outside.split()) > 6))


class TreeBuilder:
    """Reads typed lines in order, keeping the open headings and bullets as stacks."""

    def __init__(self, lines: list[Line], root_label: str) -> None:
        self.lines = lines
        self.root = TaxonomyNode(node_id="", label=root_label, level=0)
        self.headings: list[TaxonomyNode] = [self.root]
        self.bullets: list[tuple[int, TaxonomyNode]] = []
        self.base_level = 0  # level of the last Markdown heading: plain titles nest one below it
        self.plain_title_open = False  # a plain title heads only the list right below it
        self._list_titles: set[str] = set()  # bold and plain titles: a Markdown heading closes them
        self.heading_nodes: list[tuple[TaxonomyNode, TaxonomyNode]] = []  # (heading, parent)
        self.citations: list[Citation] = []
        self.paragraphs: dict[str, list[tuple[int, str]]] = {}
        self._ids: set[str] = {""}

    def build(self) -> TaxonomyNode:
        """Walk every line once; the root holds the tree."""
        for i, line in enumerate(self.lines):
            if line.kind is LineKind.HEADING:
                self._heading(i, line.text, line.level, markdown=True)
            elif line.kind is LineKind.BOLD:
                self._heading(i, line.text, self.base_level + 1, markdown=False, list_title=True)
            elif line.kind is LineKind.BULLET:
                self._bullet(i, line)
            elif line.kind is LineKind.TABLE:
                self._table_row(i, line)
            elif line.kind is LineKind.TEXT:
                self._text(i, line)
            elif self.plain_title_open:  # a blank line or a rule ends the plain title's list
                self.headings.pop()
                self.bullets.clear()
                self.plain_title_open = False
        return self.root

    def note_for(self, citation: Citation) -> str:
        """The line's own words, else the node's last paragraph before it, else its first after."""
        if citation.note is not None:
            return citation.note
        paragraphs = self.paragraphs.get(citation.node.node_id, [])
        before = [text for line_no, text in paragraphs if line_no < citation.line_no]
        return before[-1] if before else (paragraphs[0][1] if paragraphs else "")

    # --- nodes ---

    def _add_node(self, parent: TaxonomyNode, label: str, level: int, line: int) -> TaxonomyNode:
        base = f"{parent.node_id}/{slugify(label)}" if parent.node_id else slugify(label)
        node_id, n = base, 1
        while node_id in self._ids:  # same label twice under one parent: number the later ones
            n += 1
            node_id = f"{base}-{n}"
        self._ids.add(node_id)
        zh, en = split_bilingual(label)
        if zh is None:
            zh, en = (label, None) if has_cjk(label) else (None, label)
        node = TaxonomyNode(node_id=node_id, label=label, level=level, label_zh=zh, label_en=en, line=line)
        parent.children.append(node)
        return node

    def _heading(self, i: int, text: str, level: int, *, markdown: bool, list_title: bool = False,
                 plain: bool = False) -> None:
        label = clean_label(text)
        mentions = line_mentions(text, label)
        label = label or (mentions[0].title if mentions else "")
        if not label:
            return  # "## [](#anchor)" with nothing else: no title to show
        while len(self.headings) > 1 and (self.headings[-1].level >= level
                                          or (markdown and self.headings[-1].node_id in self._list_titles)):
            self.headings.pop()
        parent = self.headings[-1]
        node = self._add_node(parent, label, level, i)
        self.headings.append(node)
        self.heading_nodes.append((node, parent))
        self.bullets.clear()
        self.plain_title_open = plain
        if list_title:
            self._list_titles.add(node.node_id)
        if markdown:
            self.base_level = level
        self._cite(i, mentions, node, text, label)

    def _bullet_parent(self, indent: int) -> TaxonomyNode:
        while self.bullets and self.bullets[-1][0] >= indent:
            self.bullets.pop()
        return self.bullets[-1][1] if self.bullets else self.headings[-1]

    def _in_list(self, line: Line, indent: int) -> bool:
        # Blank lines, deeper bullets and continuation text stay inside a list at `indent`.
        return (line.kind is LineKind.BLANK or (line.kind is LineKind.BULLET and line.indent >= indent)
                or (line.kind is LineKind.TEXT and line.indent > indent))

    def _has_children(self, i: int) -> bool:
        indent = self.lines[i].indent
        for line in self.lines[i + 1:]:
            if line.kind is LineKind.BLANK or (line.kind is LineKind.TEXT and line.indent > indent):
                continue  # blank lines and the bullet's own continuation text
            return line.kind is LineKind.BULLET and line.indent > indent
        return False

    def _list_nests(self, i: int) -> bool:
        """Whether any item of the list holding bullet `i` has sub-items."""
        indent = self.lines[i].indent
        start, end = i, i
        while start > 0 and self._in_list(self.lines[start - 1], indent):
            start -= 1
        while end + 1 < len(self.lines) and self._in_list(self.lines[end + 1], indent):
            end += 1
        return any(self.lines[j].kind is LineKind.BULLET and self.lines[j].indent == indent and self._has_children(j)
                   for j in range(start, end + 1))

    def _bullet(self, i: int, line: Line) -> None:
        parent = self._bullet_parent(line.indent)
        mentions = line_mentions(line.text, parent.label)
        label = _bullet_label(line.text) or (mentions[0].title if mentions else "")
        if not re.search(r"\w", label):
            return  # "- ..." stands for more of the same
        if not self._has_children(i):
            list_kind = None if mentions else self._title_list_kind(i, parent)
            if list_kind is not None and not _is_prose(label):
                # A flat list under "论文" or "Courses" names works, one or several to a line.
                found = title_mentions(line.text, list_kind)
                self.citations.extend(Citation(m, parent, i, None) for m in found)
                return
            if mentions:  # a bullet that only cites describes its works, not a topic
                self._cite(i, mentions, parent, line.text, clean_label(LINK_RE.sub("", line.text)) or parent.label)
                return
            if _is_prose(label):  # a sentence about the section: a note for what it cites
                self._paragraph(i, parent, line.text)
                return
        node = self._add_node(parent, label, parent.level + 1, i)
        self.bullets.append((line.indent, node))
        self._cite(i, mentions, node, line.text, label)

    def _title_list_kind(self, i: int, parent: TaxonomyNode) -> RefKind | None:
        kind = title_list_kind(parent.label)
        return None if kind is None or self._list_nests(i) else kind

    def _table_row(self, i: int, line: Line) -> None:
        nxt = self.lines[i + 1] if i + 1 < len(self.lines) else None
        if nxt is not None and nxt.kind is LineKind.RULE:
            return  # the header row names the columns, not topics
        self.bullets.clear()
        cells = [c.strip() for c in line.text.strip("|").split("|")]
        label = next((clean_label(c) for c in cells if clean_label(c)), "")
        parent = self.headings[-1]
        mentions = line_mentions(line.text, parent.label)
        if mentions:
            self._cite(i, mentions, parent, " | ".join(c for c in cells if c), label)
        elif label:
            self._add_node(parent, label, parent.level + 1, i)

    def _text(self, i: int, line: Line) -> None:
        nxt = self._next_content(i)
        label = clean_label(line.text)
        if line.text.endswith(_COLON_END) and nxt is not None and nxt.kind is LineKind.HEADING and nxt.level > 1:
            # "The learning path:" followed by headings introduces them: a section one level up.
            self._heading(i, line.text, nxt.level - 1, markdown=False)
            return
        if self._is_plain_title(i, line, label):
            self._heading(i, line.text, self.base_level + 1, markdown=False, list_title=True, plain=True)
            return
        if line.indent == 0:
            self.bullets.clear()
        node = self.bullets[-1][1] if self.bullets else self.headings[-1]
        self._cite(i, line_mentions(line.text, node.label), node, line.text, label or node.label)
        self._paragraph(i, node, line.text)

    def _is_plain_title(self, i: int, line: Line, label: str) -> bool:
        # "系统" on its own line after a blank and right above a list titles that list.
        prev = self.lines[i - 1] if i > 0 else None
        nxt = self.lines[i + 1] if i + 1 < len(self.lines) else None
        return (
            (prev is None or prev.kind in (LineKind.BLANK, LineKind.RULE))
            and nxt is not None and nxt.kind is LineKind.BULLET
            and 0 < len(label) <= MAX_PLAIN_HEADING
            and not label.endswith(_SENTENCE_END)
            and not line_mentions(line.text)
        )

    def _next_content(self, i: int) -> Line | None:
        return next((line for line in self.lines[i + 1:] if line.kind is not LineKind.BLANK), None)

    # --- references and notes ---

    def _cite(self, i: int, mentions: list[Mention], node: TaxonomyNode, text: str, fallback: str) -> None:
        if not mentions:
            return
        note = " ".join(render_links(text).split()) if leftover_text(text) else None
        # A link written "[github](…)" names the site; the section or the line names the work.
        placed = [m if m.title else replace(m, title=fallback) for m in mentions]
        self.citations.extend(Citation(m, node, i, note) for m in placed)

    def _paragraph(self, i: int, node: TaxonomyNode, text: str) -> None:
        if leftover_text(text):  # a line of links alone says nothing about them
            self.paragraphs.setdefault(node.node_id, []).append((i, " ".join(render_links(text).split())))
