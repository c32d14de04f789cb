"""The PDF's build steps: its parts rendered in the worker processes, each cached under its key,
then laid out, the contents numbered and everything joined (pipeline/output/pdf_render.py and
pdf_join.py do the rendering and the joining; this module decides what runs where and when).

A part is keyed by its HTML, its PDF variant and every local file it draws (the stylesheet, its
charts), so a changed chart re-renders only the part that shows it. Parts that draw a chart can
start only once the chart's SVG is written; the others start as soon as the print document
exists.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from pipeline.build.cache import Store
from pipeline.build.keys import PDF_LIBRARIES, file_digest, key
from pipeline.build.workers import Workers
from pipeline.output.pdf_join import anchor_pages, join, layout, number_pages, save
from pipeline.output.pdf_render import VARIANT, Part, numbered_pages, refs, render_part

RENDER_CODE = ("output/pdf_render.py",)


@dataclass(frozen=True)
class PrintDocument:
    """The print edition, ready to render: its parts (the first being the cover and contents,
    laid out with placeholder page numbers), the contents as it reads once every anchor's page
    is known, and one empty page whose footer numbers it."""

    parts: list[Part]
    contents: Callable[[Mapping[str, int]], Part]
    numbering: str


@dataclass
class Batch:
    """Documents being rendered: their files, once `result()` has waited for them (a build step
    may return a batch: the scheduler waits for it as for a Future)."""

    paths: list[Path]
    rendering: list[Future]

    @property
    def todo(self) -> int:
        return len(self.rendering)

    def done(self) -> bool:
        return all(job.done() for job in self.rendering)

    def result(self) -> list[Path]:
        """The files, once every one is rendered (a rendering's error is raised here)."""
        for job in self.rendering:
            job.result()
        return self.paths


class Renderer:
    """Renders documents to PDF files in `workers`, each cached under its key."""

    def __init__(self, store: Store, base_url: Path, workers: Workers):
        self.store, self.base_url, self.workers = store, base_url, workers

    def key(self, html: str, variant: str | None) -> str:
        """A part's HTML and the files it draws are the whole of its input: its key counts only
        the code that renders it and WeasyPrint's libraries."""
        drawn = (part for ref in sorted(refs(html)) for part in (ref, file_digest(self.base_url / ref)))
        return key("pdf part", str(variant), html, *drawn, code=RENDER_CODE, libraries=PDF_LIBRARIES)

    def start(self, documents: Sequence[str], variants: Sequence[str | None] | None = None) -> Batch:
        """Start rendering the documents not cached, each with its PDF variant (VARIANT unless
        given); the longest go first, for an even spread."""
        variants = variants or [VARIANT] * len(documents)
        files = [self.store.path(self.key(html, v), ".pdf") for html, v in zip(documents, variants)]
        jobs = {
            f: (html, str(self.base_url), str(f), v)  # one job per file, however often asked
            for f, html, v in zip(files, documents, variants)
            if not f.exists()
        }
        if jobs:
            files[0].parent.mkdir(parents=True, exist_ok=True)
        todo = list(jobs.values())
        return Batch(files, self.workers.submit_all(render_part, [(job,) for job in todo], [len(j[0]) for j in todo]))


def draws(part: Part, files: Collection[str]) -> bool:
    """Whether a part draws one of `files` (paths relative to the renderer's base)."""
    return bool(refs(part.html) & set(files))


def start_parts(document: PrintDocument, renderer: Renderer, charts: Collection[str], with_charts: bool) -> Batch:
    """Start rendering the parts that draw a chart (`with_charts`) or those that draw none."""
    return renderer.start([p.html for p in document.parts if draws(p, charts) == with_charts])


def write_pdf(
    document: PrintDocument,
    renderer: Renderer,
    charts: Collection[str],
    plain: Sequence[Path],
    charted: Sequence[Path],
    target: Path,
) -> None:
    """From the rendered parts (`plain`: those that draw no chart, `charted`: the others, each in
    document order): the contents numbered (again, while its own length moves the pages after
    it), the page numbers drawn, the parts joined into `target`."""
    plain_files, chart_files = iter(plain), iter(charted)
    files = [next(chart_files) if draws(p, charts) else next(plain_files) for p in document.parts]
    layouts = [layout(f) for f in files]
    counts = [count for count, _ in layouts]
    for _ in range(3):  # the contents and the numbers, together; the contents' length moves every page
        pages = anchor_pages(layouts[1:], offset=counts[0])
        numbering = numbered_pages(document.numbering, sum(counts))
        files[0], numbers = renderer.start(
            [document.contents(pages).html, numbering], variants=[VARIANT, None]
        ).result()
        first_count = layout(files[0])[0]
        if first_count == counts[0]:
            break
        counts[0] = first_count
    joined = join(files, [p.level for p in document.parts])
    number_pages(joined, numbers)
    save(joined, target)
