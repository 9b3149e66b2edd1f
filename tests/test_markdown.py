"""ingest.parse.markdown: READMEs split along their headings, and plain text split into pages."""

from __future__ import annotations

import pytest

from ingest.errors import EmptyInput
from ingest.models import Section
from ingest.parse.markdown import parse_markdown, parse_text

README = """<!-- Badges and logo
spanning two lines -->
<h1 align="center">FlexGen</h1>
<p align="center">
  <img src="docs/logo.png" width="200">
</p>

[![PyPI](https://img.shields.io/pypi/v/flexgen.svg)](https://pypi.org/project/flexgen/) ![License](https://img.shields.io/badge/license-Apache-blue.svg)

FlexGen is a <b>high-throughput</b> generation engine. Use `Vec<T>` and `<br>` literally.

Install
-------

```bash
# a comment in code, not a heading
pip install flexgen
<!-- kept: this is code -->
```

### From [source](#source)

| flag | meaning |
|------|---------|
| `--gpu` | <i>offload</i> to GPU |

Usage
=====

Run `python -m flexgen`.

## Options ##
Trailing hashes close this heading.
"""


@pytest.fixture
def readme() -> list[tuple[str | None, str]]:
    return [(page.heading, page.text) for page in parse_markdown(README, name="README.md").pages]


def test_sections_follow_atx_setext_and_html_headings() -> None:
    parsed = parse_markdown(README, name="README.md")
    assert parsed.title == "FlexGen"
    assert parsed.sections == [
        Section("FlexGen", 1, 1),
        Section("Install", 2, 2),
        Section("From source", 3, 3),
        Section("Usage", 1, 4),
        Section("Options", 2, 5),
    ]


def test_pages_carry_the_heading_path(readme: list[tuple[str | None, str]]) -> None:
    assert [page.number for page in parse_markdown(README, name="README.md").pages] == [1, 2, 3, 4, 5]
    assert [heading for heading, _ in readme] == [
        "FlexGen",
        "FlexGen > Install",
        "FlexGen > Install > From source",
        "Usage",
        "Usage > Options",
    ]


def test_comments_badges_and_tags_go_but_their_text_stays(readme: list[tuple[str | None, str]]) -> None:
    intro = readme[0][1]
    assert intro == "FlexGen\n\nFlexGen is a high-throughput generation engine. Use `Vec<T>` and `<br>` literally."


def test_code_blocks_and_tables_stay_intact(readme: list[tuple[str | None, str]]) -> None:
    assert readme[1][1] == (
        "Install\n\n```bash\n# a comment in code, not a heading\npip install flexgen\n<!-- kept: this is code -->\n```"
    )
    assert "| flag | meaning |\n|------|---------|\n| `--gpu` | offload to GPU |" in readme[2][1]


def test_text_before_the_first_heading_has_no_heading_path() -> None:
    parsed = parse_markdown("Intro words.\n\n# Title\nBody.", name="x.md")
    assert [(page.heading, page.text) for page in parsed.pages] == [(None, "Intro words."), ("Title", "Title\nBody.")]


def test_a_dash_rule_after_a_blank_line_is_not_a_heading() -> None:
    parsed = parse_markdown("# Top\n\nText.\n\n---\n\nMore text.", name="x.md")
    assert [section.title for section in parsed.sections] == ["Top"]
    assert "More text." in parsed.pages[0].text


def test_no_h1_means_no_title() -> None:
    assert parse_markdown("## Only a second level\ntext", name="x.md").title is None


@pytest.mark.parametrize("text", ["", "  \n\n", "<!-- only a comment -->"])
def test_empty_markdown_is_refused(text: str) -> None:
    with pytest.raises(EmptyInput, match=r"notes\.md"):
        parse_markdown(text, name="notes.md")


def test_plain_text_is_cut_at_blank_lines_into_pages_of_about_the_size() -> None:
    blocks = [f"Block {n} " + "word " * 40 for n in range(10)]  # about 210 characters each
    parsed = parse_text("\n\n".join(blocks), name="notes.txt", page_chars=500)
    assert parsed.title is None and parsed.sections == []
    assert all(page.heading is None for page in parsed.pages)
    assert [page.text.count("Block") for page in parsed.pages] == [2, 2, 2, 2, 2]
    assert parsed.pages[0].text.startswith("Block 0") and parsed.pages[-1].text.rstrip().endswith("word")


def test_empty_text_is_refused() -> None:
    with pytest.raises(EmptyInput, match=r"notes\.txt"):
        parse_text("\n \n", name="notes.txt")
