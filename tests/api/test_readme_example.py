"""The README's Python example runs as it is written: a notebook-style script that uses only the
documented API fits two models, saves one as .sinr, reopens it and renders it at another size."""

from __future__ import annotations

import ast
import contextlib
import io
import re

from paths import REPO


def readme_example() -> str:
    """The first python block of the README's "Python API" section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks, "the README's Python API section has no python block"
    return blocks[0]


def test_the_readme_example_uses_only_documented_names() -> None:
    api_doc = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    tree = ast.parse(readme_example())
    names = [a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             and (node.module or "").startswith("inr_studio") for a in node.names]
    assert names, "the example imports nothing from inr_studio"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("inr_studio"):
            assert node.module == "inr_studio.api", node.module
    for name in names:
        assert f"`{name}" in api_doc, f"{name} is not documented in docs/api.md"


def test_the_readme_example_runs_as_written(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(readme_example(), "README.md", "exec"), {"__name__": "__main__"})
    lines = out.getvalue().splitlines()
    fitted = [ln for ln in lines if " dB at step " in ln]
    assert [ln.split(":")[0] for ln in fitted] == ["SIREN", "HS-LoE"]
    for line in fitted:  # real figures: a PSNR of a 50-step fit, not a placeholder
        best = float(re.search(r"best ([\d.]+) dB", line).group(1))
        last = float(re.search(r"last ([\d.]+) dB", line).group(1))
        assert 10.0 < last <= best < 60.0
    saved = tmp_path / "astronaut-hs.sinr"
    assert saved.is_file() and f"{saved.stat().st_size:,} bytes" in out.getvalue()
    assert lines[-1] == "(256, 256, 3) float32"


def test_every_public_name_of_the_api_is_documented_with_an_example() -> None:
    from inr_studio import api

    doc = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"\n### `(\w+)`\n(.*?)(?=\n#{2,3} |\Z)", doc, flags=re.S))
    assert sorted(sections) == sorted(api.__all__)
    for name, body in sections.items():
        assert "```python" in body, f"docs/api.md: {name} has no example"
