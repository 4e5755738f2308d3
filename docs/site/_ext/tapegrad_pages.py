"""Sphinx extension: the Markdown pages of docs/ and the notebooks as site pages.

Sphinx reads reStructuredText; the project's pages are Markdown (docs/*.md) and Jupyter
notebooks (notebooks/*.ipynb), and no Markdown parser is installed (no myst, no
nbsphinx). So before reading, this writes one ``_generated/<name>.rst`` per page: the
title as a reST heading (for the toctree) and the body converted to HTML by the small
Markdown subset converter below (headings, paragraphs, lists, pipe tables, fenced code,
inline code, emphasis, links, $math$), included as raw HTML. Notebooks: markdown cells
converted the same way, code cells as code blocks. Nothing is executed.

Also: docstrings are shown as written (a literal block), not parsed as reST, because
they are plain text with formulas (``x * y``, ``|g|``) that reST would misread.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parents[3]
PAGES = {  # page name -> source, in the order of the index
    "conventions": ROOT / "docs" / "conventions.md",
    "errors": ROOT / "docs" / "errors.md",
    "ops": ROOT / "docs" / "ops.md",
}


def _inline(text: str) -> str:
    """Markdown inline markup of one block of text, HTML-escaped."""
    out, pos = [], 0
    for m in re.finditer(r"`([^`]+)`", text):          # code spans first, verbatim
        out.append(_inline_plain(text[pos:m.start()]))
        out.append(f"<code>{html.escape(m.group(1))}</code>")
        pos = m.end()
    out.append(_inline_plain(text[pos:]))
    return "".join(out)


def _inline_plain(t: str) -> str:
    t = html.escape(t.replace("\\|", "|"), quote=False)
    t = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', t)
    t = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", t)
    t = re.sub(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])", r"<em>\1</em>", t)
    t = re.sub(r"\$\$(.+?)\$\$", r"\\[\1\\]", t)
    t = re.sub(r"(?<![\\\w$])\$([^$\n]+?)\$", r"\\(\1\\)", t)
    return t


def _cells(row: str) -> List[str]:
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)]


def markdown_to_html(md: str) -> str:
    """The Markdown subset of the project's pages as HTML."""
    lines = md.splitlines()
    out: List[str] = []
    i = 0
    para: List[str] = []

    def flush():
        if para:
            out.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            flush()
            lang = line[3:].strip()
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            code = "\n".join(lines[i + 1:j])
            out.append(f'<pre class="literal-block" data-lang="{html.escape(lang)}">'
                       f"{html.escape(code)}</pre>")
            i = j + 1
            continue
        m = re.match(r"(#{1,6})\s+(.*)", line)
        if m:
            flush()
            k = min(len(m.group(1)) + 1, 6)          # the page title is the reST heading
            out.append(f"<h{k}>{_inline(m.group(2))}</h{k}>")
            i += 1
            continue
        if line.lstrip().startswith("|") and i + 1 < len(lines) \
                and re.match(r"^\s*\|?\s*:?-{3,}", lines[i + 1]):
            flush()
            head = _cells(line)
            rows = []
            j = i + 2
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                rows.append(_cells(lines[j]))
                j += 1
            t = ["<table class=\"docutils\"><thead><tr>"]
            t += [f"<th>{_inline(c)}</th>" for c in head]
            t.append("</tr></thead><tbody>")
            for r in rows:
                t.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>")
            t.append("</tbody></table>")
            out.append("".join(t))
            i = j
            continue
        m = re.match(r"^(\s*)([-*]|\d+\.)\s+(.*)", line)
        if m:
            flush()
            tag = "ol" if m.group(2)[0].isdigit() else "ul"
            items: List[str] = []
            j = i
            while j < len(lines):
                mm = re.match(r"^(\s*)([-*]|\d+\.)\s+(.*)", lines[j])
                if mm:
                    items.append(mm.group(3))
                elif lines[j].startswith("  ") and lines[j].strip() and items:
                    items[-1] += " " + lines[j].strip()
                else:
                    break
                j += 1
            out.append(f"<{tag}>" + "".join(f"<li>{_inline(x)}</li>" for x in items)
                       + f"</{tag}>")
            i = j
            continue
        if not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()
    return "\n".join(out)


def _page(title: str, body_html: str, source: str) -> str:
    bar = "=" * max(len(title), 3)
    indented = "\n".join("   " + l if l else "" for l in body_html.splitlines())
    return (f"{bar}\n{title}\n{bar}\n\n*Generated from* ``{source}``.\n\n"
            f".. raw:: html\n\n{indented}\n")


def _split_title(md: str, default: str):
    m = re.match(r"\s*#\s+(.*)\n", md)
    return (m.group(1).strip(), md[m.end():]) if m else (default, md)


def notebook_to_html(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown":
            parts.append(markdown_to_html(src))
        elif cell["cell_type"] == "code":
            parts.append(f'<pre class="literal-block notebook-code">{html.escape(src)}</pre>')
    return "\n".join(parts)


def write_pages(app) -> None:
    gen = Path(app.srcdir) / "_generated"
    gen.mkdir(exist_ok=True)
    for name, src in PAGES.items():
        title, body = _split_title(src.read_text(encoding="utf-8"), name)
        _write(gen / f"{name}.rst", _page(title, markdown_to_html(body),
                                          str(src.relative_to(ROOT))))
    books = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    entries = []
    for nb in books:
        first = json.loads(nb.read_text(encoding="utf-8"))["cells"][0]
        src = "".join(first["source"]) if isinstance(first["source"], list) else first["source"]
        title, _ = _split_title(src, nb.stem)
        html_body = notebook_to_html(nb)
        # the first cell's heading is the page title
        html_body = re.sub(r"^<h2>.*?</h2>\n?", "", html_body, count=1)
        _write(gen / f"{nb.stem}.rst", _page(title, html_body, f"notebooks/{nb.name}"))
        entries.append(f"   {nb.stem}")
    _write(gen / "notebooks.rst",
           "=========\nNotebooks\n=========\n\nThe teaching notebooks (generated by "
           "``notebooks/_build.py``; ``make test`` runs each one). Run them in Jupyter to "
           "see the outputs.\n\n.. toctree::\n   :maxdepth: 1\n\n" + "\n".join(entries) + "\n")


def _write(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def literal_docstring(app, what, name, obj, options, lines) -> None:
    """Show a docstring as written: one literal block."""
    if not any(l.strip() for l in lines):
        return
    body = ["    " + l if l.strip() else "" for l in lines]
    lines[:] = ["::", ""] + body + [""]


def setup(app):
    app.connect("builder-inited", write_pages)
    app.connect("autodoc-process-docstring", literal_docstring)
    return {"parallel_read_safe": True, "version": "1"}
