"""`readpath guide`: the reading guide as data (taxonomy, references, glossary) and mojibake repair."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ingest.errors import InputError
from ingest.models import Guide, RefKind, TaxonomyNode
from ui.cli.output import console, print_json
from ui.services import guides as guide_service

guide_app = typer.Typer(
    help="The reading guide as data: taxonomy, references, glossary; and mojibake repair.",
    no_args_is_help=True,
)

GuideArg = Annotated[Path | None, typer.Argument(
    help="A guide file (Markdown or text, any encoding); default: the guides shipped with readpath.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def register(app: typer.Typer) -> None:
    """Add the guide command group to the app."""
    app.add_typer(guide_app, name="guide")


def _chosen(guide: Path | None) -> list[Guide]:
    return guide_service.load_guides([guide] if guide is not None else None)


def _node_json(node: TaxonomyNode, counts: dict[str, int]) -> dict[str, Any]:
    return {"node_id": node.node_id, "label": node.label, "label_zh": node.label_zh, "label_en": node.label_en,
            "stage": node.stage, "count": counts[node.node_id],
            "children": [_node_json(child, counts) for child in node.children]}


def _add_branch(tree: Tree, node: TaxonomyNode, counts: dict[str, int]) -> None:
    for child in node.children:
        label = Text(child.label)  # Text, not markup: labels may hold "[...]"
        if child.stage is not None:
            label.append(f"  stage {child.stage}", style="bold cyan")
        if counts[child.node_id]:
            label.append(f"  ({counts[child.node_id]})", style="dim")
        _add_branch(tree.add(label), child, counts)


@guide_app.command("show")
def show(
    guide: GuideArg = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the guide's taxonomy as a tree, with the number of references under each node.

    A missing, empty or binary guide file is an input error (exit code 2).

    Example: readpath guide show --json
    """
    guides = _chosen(guide)
    if as_json:
        print_json([{"name": g.name, "path": g.path, "repaired_chars": g.repaired_chars, "stages": g.stages,
                     "root": _node_json(g.root, guide_service.subtree_counts(g.root))} for g in guides])
        return
    for g in guides:
        counts = guide_service.subtree_counts(g.root)
        tree = Tree(Text(f"{g.name}  ({counts['']} references, {len(g.stages)} stages)", style="bold"))
        _add_branch(tree, g.root, counts)
        console.print(tree)


@guide_app.command("refs")
def refs(
    guide: GuideArg = None,
    kind: Annotated[RefKind | None, typer.Option(help="Only references of this kind.", case_sensitive=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the guide's references: papers, repositories, courses, books and pages, each once.

    Example: readpath guide refs --kind arxiv --json
    """
    rows = [(g.name, r) for g in _chosen(guide) for r in g.references if kind is None or r.kind is kind]
    if as_json:
        print_json([{"guide": name, "ref_id": r.ref_id, "kind": r.kind, "source_id": r.source_id, "title": r.title,
                     "url": r.url, "taxonomy_paths": r.taxonomy_paths, "note": r.note} for name, r in rows])
        return
    table = Table(title=f"{len(rows)} references")
    for column in ("ref_id", "title", "where"):
        table.add_column(column, overflow="fold")
    for _, r in rows:
        table.add_row(Text(r.ref_id), Text(r.title), Text("\n".join(p or "/" for p in r.taxonomy_paths)))
    console.print(table)


@guide_app.command("glossary")
def glossary(
    guide: GuideArg = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the zh -> en glossary that the guide's bilingual labels pair, e.g. 数据并行 -> Data Parallel.

    Example: readpath guide glossary --json
    """
    terms = guide_service.merged_glossary(_chosen(guide))
    if as_json:
        print_json(terms)
        return
    table = Table(title=f"{len(terms)} terms")
    table.add_column("zh")
    table.add_column("en")
    for zh, en in terms.items():
        table.add_row(Text(zh), Text(en))
    console.print(table)


@guide_app.command("repair")
def repair(
    file: Annotated[Path, typer.Argument(help="A text file with mojibake (UTF-8 read as cp1252, and the like).")],
    out: Annotated[Path | None, typer.Option(help="Write the repaired text here instead of stdout.")] = None,
) -> None:
    """Repair a file's mojibake: the text goes to stdout (or --out), the report to stderr.

    The original file is never changed; --out may not name it.

    Example: readpath guide repair seeds/000_302631fd12e45994.txt --out guide.txt
    """
    if out is not None and out.resolve() == file.resolve():
        raise InputError(f"--out {out} is the file being repaired; readpath never overwrites it. Pick another path.")
    result = guide_service.repair_file(file)
    if out is None:
        sys.stdout.write(result.text)
        sys.stdout.flush()
    else:
        out.write_text(result.text, encoding="utf-8")
    typer.echo(result.report.summary(), err=True)
