"""docs/figures.md lists every figure key, and is the generated text of the declarations."""
from pathlib import Path

from projections.figures import FIGURES, figures_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "figures.md"


def test_figures_doc_is_generated_from_the_declarations():
    assert DOC.read_text(encoding="utf-8") == figures_markdown()


def test_every_figure_key_is_listed_once_in_the_doc():
    text = DOC.read_text(encoding="utf-8")
    for figure in FIGURES:
        shown = f"`{figure.key}." if figure.agg == "each" else f"`{figure.key}`"
        assert text.count(shown) == 1, figure.key


def test_figure_keys_are_unique_and_themed():
    keys = [f.key for f in FIGURES]
    assert len(keys) == len(set(keys))
    assert all(f.key.split(".")[0] == f.theme for f in FIGURES)
