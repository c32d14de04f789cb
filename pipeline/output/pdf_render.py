"""PDF rendering: the print document cut into parts, each rendered alone by WeasyPrint.

WeasyPrint lays out some six A4 pages a second here and the report runs to about 120 pages: as
one document it takes some 20 s on one core and is redone in full for any change. So the print
HTML is cut into parts (cover and contents, each front section, each chapter, and inside a long
chapter where report.yaml says), which the build renders in worker processes and caches
(pipeline/build/pdf_parts.py); pdf_join.py joins them into one tagged PDF (PDF/UA-1). A part
cannot know the page it will start on, so the contents is rendered again once every heading's
page is known, and page numbers are drawn last from one small document of numbered empty pages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# The template writes this between parts of the print document (see templates/report.html.j2).
PART_BREAK = "<!--pdf-part-->"
# A link to an anchor in another part is written with this scheme, so WeasyPrint keeps it (as a
# URI) and the join can point it at the anchor's named destination.
XREF = "xref:"
PLACEHOLDER_PAGE = "000"  # as wide as any page number, so the contents' layout does not change
VARIANT = "pdf/ua-1"


@dataclass(frozen=True)
class Part:
    """One standalone HTML document of the print edition."""

    html: str
    level: int = 2  # the heading level it starts at (1 cover, 2 chapter, 3-4 a chapter's later part)


def first_heading_level(html: str) -> int:
    """The level of the first heading in `html` (2, a chapter's, if it has none)."""
    found = re.search(r"<h([1-6])\b", html)
    return int(found.group(1)) if found else 2


def split_document(document: str, levels: Sequence[int] | None = None) -> list[Part]:
    """Cut a print document at PART_BREAK into standalone documents with the same head.

    Links to anchors in another part become XREF links. `levels[i]` is the heading level part i
    starts at, which places its bookmarks in the joined outline; without `levels`, each part's
    first heading says.
    """
    start = document.index(">", document.index("<body")) + 1
    end = document.rindex("</body>")
    opening, closing = document[:start], document[end:]
    chunks = document[start:end].split(PART_BREAK)
    parts = []
    for i, chunk in enumerate(chunks):
        ids = set(re.findall(r'\bid="([^"]+)"', chunk))

        def local(m: re.Match, ids: set[str] = ids) -> str:
            return m.group(0) if m.group(1) in ids else f'href="{XREF}{m.group(1)}"'

        chunk = re.sub(r'href="#([^"]+)"', local, chunk)
        level = first_heading_level(chunk) if levels is None else levels[i] if i < len(levels) else 2
        parts.append(Part(opening + chunk + closing, level))
    return parts


def refs(html: str) -> set[str]:
    """The local files a document draws or links (its stylesheet, its charts)."""
    return set(re.findall(r'(?:src|href)="([^":#]+)"', html))


def load_weasyprint() -> None:
    """Import WeasyPrint (in a worker, as it starts, while the build computes the data)."""
    import weasyprint  # noqa: F401


def render_part(job: tuple[str, str, str, str | None]) -> None:
    """Render one document to a PDF file (in a worker process); written whole or not at all."""
    from weasyprint import HTML

    html, base_url, target, variant = job
    unfinished = Path(target).with_suffix(".tmp")
    HTML(string=html, base_url=base_url).write_pdf(unfinished, pdf_variant=variant, uncompressed_pdf=False)
    unfinished.replace(target)


def numbered_pages(page: str, count: int) -> str:
    """`count` copies of an empty numbered page, as one document."""
    start = page.index(">", page.index("<body")) + 1
    end = page.rindex("</body>")
    body = '<div style="break-after: page"></div>' * (count - 1) + "<div></div>"
    return page[:start] + body + page[end:]
