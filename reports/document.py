"""A document as sections of text, tables and charts, rendered to self-contained HTML (charts
as inline SVG) or to an A4 landscape PDF (fpdf2; charts as images rendered by vl-convert).

Every string is text: HTML output escapes it, the PDF writes it as text. Charts are
Vega-Lite specs (from the same Altair builders the pages draw).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert as vlc


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] = ()  # relative column widths (default: equal)
    numeric: tuple[bool, ...] = ()  # right-aligned columns


@dataclass(frozen=True)
class Chart:
    spec: dict[str, Any]
    width: int  # px the spec is drawn at
    height: int


def altair_chart(chart: alt.TopLevelMixin, width: int, height: int) -> Chart:
    """An Altair chart drawn ``width`` px wide, unthemed, in the document's font on white."""
    with alt.theme.enable("none"):
        spec = chart.properties(width=width).to_dict()
    spec.setdefault("config", {}).update({"font": "DejaVu Sans", "background": "white"})
    return Chart(spec, width, height)


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...] = ()
    blocks: tuple[Table | Chart, ...] = ()
    new_page: bool = False


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    sections: tuple[Section, ...] = field(default_factory=tuple)


# ---- HTML ---------------------------------------------------------------------------------

_CSS = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; color: #000;
       font-size: 10pt; margin: 0 auto; max-width: 277mm; }
h1 { font-size: 16pt; margin: 0 0 2pt; } h2 { font-size: 12pt; margin: 12pt 0 4pt;
     border-bottom: 1px solid #000; } p { margin: 2pt 0; } .sub { color: #333; }
table { border-collapse: collapse; margin: 4pt 0; } th, td { border: 1px solid #777;
        padding: 2pt 5pt; text-align: left; } th { background: #eee; } td.n { text-align: right; }
section.break { break-before: page; }
"""


def _html_block(block: Table | Chart) -> str:
    if isinstance(block, Chart):
        return f"<div>{vlc.vegalite_to_svg(block.spec)}</div>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in block.headers)
    body = []
    for row in block.rows:
        cells = "".join(
            f'<td class="{"n" if _is_numeric(block, i) else ""}">{html.escape(c)}</td>'
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _is_numeric(table: Table, i: int) -> bool:
    return i < len(table.numeric) and table.numeric[i]


def to_html(doc: Document) -> str:
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(doc.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(doc.title)}</h1><p class='sub'>{html.escape(doc.subtitle)}</p>",
    ]
    for s in doc.sections:
        parts.append(f"<section class='{'break' if s.new_page else ''}'>")
        parts.append(f"<h2>{html.escape(s.title)}</h2>")
        parts += [f"<p>{html.escape(line)}</p>" for line in s.lines]
        parts += [_html_block(b) for b in s.blocks]
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


# ---- PDF ----------------------------------------------------------------------------------

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
_LATIN = str.maketrans({"—": "-", "–": "-", "·": "|", "◆": "*", "▲": "^", "€": "EUR", "≥": ">="})


def _font(pdf) -> tuple[str, bool]:
    """DejaVu Sans (all of Unicode) where installed, else the PDF core Helvetica (Latin-1)."""
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            return "DejaVu", True
    return "Helvetica", False


def to_pdf(doc: Document) -> bytes:
    """The document on A4 landscape pages, tables as text (searchable), charts as images."""
    from fpdf import FPDF  # heavy: only when a PDF is made

    class Numbered(FPDF):
        def footer(self) -> None:  # "Page 2 of 5" on every page
            self.set_y(-9)
            self.set_font(family, "", 8)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    pdf = Numbered(orientation="L", unit="mm", format="A4")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, margin=12)
    family, unicode_ok = _font(pdf)

    def text(s: str) -> str:
        return (
            s if unicode_ok else s.translate(_LATIN).encode("latin-1", "replace").decode("latin-1")
        )

    pdf.set_title(text(doc.title))
    pdf.add_page()
    pdf.set_font(family, "B", 16)
    pdf.multi_cell(0, 8, text(doc.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 9)
    pdf.multi_cell(0, 5, text(doc.subtitle), new_x="LMARGIN", new_y="NEXT")
    for s in doc.sections:
        empty = pdf.get_y() < pdf.t_margin + 15  # a fresh page: never leave one blank
        if (s.new_page and not empty) or pdf.get_y() > pdf.h - 45:
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font(family, "B", 12)
        pdf.cell(0, 7, text(s.title), border="B", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 9)
        for line in s.lines:
            pdf.multi_cell(0, 4.6, text(line), new_x="LMARGIN", new_y="NEXT")
        for block in s.blocks:
            pdf.ln(1.5)
            if isinstance(block, Chart):
                _pdf_chart(pdf, block)
            else:
                _pdf_table(pdf, block, family, text)
    return bytes(pdf.output())


def _pdf_chart(pdf, chart: Chart) -> None:
    png = vlc.vegalite_to_png(chart.spec, scale=2.5)
    width_mm = min(chart.width * 0.26, pdf.epw)
    height_mm = width_mm * chart.height / max(chart.width, 1)
    if pdf.get_y() + height_mm > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.image(png, x=pdf.l_margin, w=width_mm)


def _pdf_table(pdf, table: Table, family: str, text) -> None:
    n = len(table.headers)
    weights = table.widths or (1.0,) * n
    total = sum(weights)
    widths = tuple(pdf.epw * w / total for w in weights)
    align = tuple("RIGHT" if _is_numeric(table, i) else "LEFT" for i in range(n))
    pdf.set_font(family, "", 8.5)
    with pdf.table(
        col_widths=widths,
        text_align=align,
        line_height=4.4,
        headings_style=_heading_style(family),
        first_row_as_headings=True,
        repeat_headings=1,
    ) as t:
        t.row([text(h) for h in table.headers])
        for row in table.rows:
            t.row([text(c) for c in row])
    pdf.set_font(family, "", 9)


def _heading_style(family: str):
    from fpdf.fonts import FontFace

    return FontFace(family=family, emphasis="BOLD", fill_color=(230, 230, 230))
