"""The pack's document renderer: text from the data is escaped in HTML and written as text in
the PDF, with or without a Unicode font installed."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from reports import document
from reports.document import Document, Section, Table

DOC = Document(
    "Review · Week 46",
    "Data as of 15 Nov — all customers",
    (
        Section(
            "Promises at risk",
            ("€1,264 still to ship",),
            (Table(("Customer",), (("<b>Acme</b> =1+1",),)),),
        ),
    ),
)


def test_html_escapes_data():
    page = document.to_html(DOC)
    assert "&lt;b&gt;Acme&lt;/b&gt; =1+1" in page and "<b>Acme" not in page


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
@pytest.mark.parametrize("unicode_font", [True, False])
def test_pdf_text_with_and_without_a_unicode_font(tmp_path, monkeypatch, unicode_font):
    if not unicode_font:
        monkeypatch.setattr(document, "_FONT_DIRS", ())
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(document.to_pdf(DOC))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "<b>Acme</b> =1+1" in text
    assert ("€1,264" if unicode_font else "EUR1,264") in text
    assert "Promises at risk" in text
