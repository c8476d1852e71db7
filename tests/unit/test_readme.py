"""The README's annotation table is generated from the catalogue; this keeps the two equal."""

from pathlib import Path

from octavia_lb.common.annotations import annotation_table_markdown

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- annotation-table:start -->", "<!-- annotation-table:end -->"


def test_readme_annotation_table_equals_the_catalogue() -> None:
    text = README.read_text()
    assert START in text and END in text, "the README lost its annotation-table markers"
    shown = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert shown == annotation_table_markdown().strip(), (
        "README.md's annotation table is stale; regenerate it with: python -c 'from octavia_lb.common."
        "annotations import annotation_table_markdown as t; print(t())'"
    )


def test_readme_shows_the_two_set_up_commands() -> None:
    text = README.read_text()
    assert "make run" in text and "make test" in text
