"""PDF stage: the print document rendered in parts, in parallel and cached, joined into one
tagged PDF (PDF/UA-1).

WeasyPrint lays out some six A4 pages a second here and the report runs to about 120 pages: as
one document it takes some 20 s on one core and is redone in full for any change. So the print
HTML is cut into parts (cover and contents, each front section, each chapter, and inside a long
chapter where report.yaml says), each rendered in a worker process and cached under the hash of
its HTML and of every file it draws; an unchanged part is reused. The workers are forked as the
build starts and import WeasyPrint while the data are computed; parts start as soon as the print
document exists, those with charts once Chromium has drawn them, the longest first.

The parts are joined with pikepdf: pages, structure trees (marked-content keys offset, table
header ids made unique), named destinations, links between parts and the outline. A part cannot
know the page it will start on, so the contents is rendered again once every heading's page is
known, and page numbers are drawn last over every page, as artifacts, from one small document
of numbered empty pages.
"""

from __future__ import annotations

import importlib.metadata
import re
import warnings
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from pipeline.build.cache import Store, digest, file_digest
from pipeline.build.workers import Workers

# The template writes this between parts of the print document (see templates/report.html.j2).
PART_BREAK = "<!--pdf-part-->"
# A link to an anchor in another part is written with this scheme, so WeasyPrint keeps it (as a
# URI) and the join can point it at the anchor's named destination.
XREF = "xref:"
PLACEHOLDER_PAGE = "000"  # as wide as any page number, so the contents' layout does not change
VARIANT = "pdf/ua-1"


def _nothing() -> None:
    """The default `meanwhile`: no work to overlap with rendering."""


@dataclass(frozen=True)
class Part:
    """One standalone HTML document of the print edition."""

    html: str
    level: int = 2  # the heading level it starts at (1 cover, 2 chapter, 3-4 a chapter's later part)


def split_document(document: str, levels: Sequence[int] = ()) -> list[Part]:
    """Cut a print document at PART_BREAK into standalone documents with the same head.

    Links to anchors in another part become XREF links. `levels[i]` is the heading level part i
    starts at, which places its bookmarks in the joined outline.
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
        parts.append(Part(opening + chunk + closing, levels[i] if i < len(levels) else 2))
    return parts


def write_pdf(
    parts: Sequence[Part],
    contents: Callable[[Mapping[str, int]], Part],
    numbering: str,
    target: Path,
    renderer: Renderer,
    awaited: Collection[str] = (),
    ready: Callable[[], None] = _nothing,
    meanwhile: Callable[[], None] = _nothing,
    progress: Callable[[str], None] = lambda m: None,
) -> None:
    """Render `parts` (the first being the cover and contents, laid out with placeholder page
    numbers), then the contents again from `contents(page of each anchor)`, and join them.

    Parts that draw a file in `awaited` (paths relative to the renderer's base) are rendered once
    `ready()`, run here, has written those files; the others start at once. `meanwhile` runs
    here while the parts render. `numbering` is the HTML of one empty
    page whose footer numbers it (counter(page) and counter(pages) work there); it is repeated
    for every page.
    """
    waits = [bool(_refs(p.html) & set(awaited)) for p in parts]
    now = renderer.start([p.html for p, w in zip(parts, waits) if not w])
    if any(waits):
        progress(
            f"rendering PDF parts in {renderer.workers.processes} processes: {now.todo} of {waits.count(False)} "
            f"now, the {waits.count(True)} with charts once they are drawn …"
        )
    else:
        progress(f"rendering {now.todo} of {len(parts)} PDF parts in {renderer.workers.processes} processes …")
    ready()  # the workers are busy meanwhile, and with the parts cached there is nothing to wait for
    later = renderer.start([p.html for p, w in zip(parts, waits) if w])
    meanwhile()
    first, second = iter(now.files()), iter(later.files())
    files = [next(second) if w else next(first) for w in waits]
    layouts = [_layout(f) for f in files]
    counts = [count for count, _ in layouts]
    for _ in range(3):  # the contents and the numbers, together; the contents' length moves every page
        pages = _anchor_pages(layouts[1:], offset=counts[0])
        files[0], numbers = renderer.start(
            [contents(pages).html, _numbered_pages(numbering, sum(counts))], variants=[VARIANT, None]
        ).files()
        first_count = _layout(files[0])[0]
        if first_count == counts[0]:
            break
        counts[0] = first_count
    joined = _join(files, [p.level for p in parts])
    _number_pages(joined, numbers)
    target.parent.mkdir(parents=True, exist_ok=True)
    joined.save(
        target, deterministic_id=True, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate
    )


def _refs(html: str) -> set[str]:
    """The local files a document draws or links (its stylesheet, its charts)."""
    return set(re.findall(r'(?:src|href)="([^":#]+)"', html))


class Renderer:
    """Renders documents to PDF files in `workers`, each cached under the hash of its HTML and
    of every file it draws."""

    def __init__(self, store: Store, base_url: Path, workers: Workers):
        self.store, self.base_url, self.workers = store, base_url, workers

    def key(self, html: str, variant: str | None) -> str:
        # the stylesheet and charts it draws: a changed chart re-renders its part
        return digest(
            _weasyprint_version(),
            str(variant),
            html,
            *(part for ref in sorted(_refs(html)) for part in (ref, file_digest(self.base_url / ref))),
        )

    def start(self, documents: Sequence[str], variants: Sequence[str | None] | None = None) -> _Batch:
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
        return _Batch(files, self.workers.submit_all(_render, [(job,) for job in todo], [len(job[0]) for job in todo]))


@dataclass
class _Batch:
    """Documents being rendered: their files, once `files()` has waited for them."""

    paths: list[Path]
    rendering: list[Future]

    @property
    def todo(self) -> int:
        return len(self.rendering)

    def files(self) -> list[Path]:
        for job in self.rendering:
            job.result()
        return self.paths


def load_weasyprint() -> None:
    """Import WeasyPrint (in a worker, as it starts, while the build computes the data)."""
    import weasyprint  # noqa: F401


@lru_cache(maxsize=1)
def _weasyprint_version() -> str:
    return importlib.metadata.version("weasyprint")  # without importing it here


def _render(job: tuple[str, str, str, str | None]) -> None:
    """Render one document to a PDF file (in a worker process); written whole or not at all."""
    from weasyprint import HTML

    html, base_url, target, variant = job
    unfinished = Path(target).with_suffix(".tmp")
    HTML(string=html, base_url=base_url).write_pdf(unfinished, pdf_variant=variant, uncompressed_pdf=False)
    unfinished.replace(target)


def _layout(path: Path) -> tuple[int, dict[str, int]]:
    """A rendered part's page count, and the page (from 0) each of its anchors is on."""
    with pikepdf.open(path) as pdf:
        index = {page.objgen: i for i, page in enumerate(pdf.pages)}
        return len(pdf.pages), {name.decode("utf-8"): index[dest[0].objgen] for name, dest in _dests(pdf)}


def _dests(pdf: pikepdf.Pdf) -> list[tuple[bytes, pikepdf.Object]]:
    """The named destinations (anchor name, [page /XYZ x y 0]) WeasyPrint wrote."""
    names = pdf.Root.get("/Names", Dictionary()).get("/Dests", Dictionary())
    if "/Kids" in names:
        raise ValueError("nested name trees are not expected from WeasyPrint")
    flat = names.get("/Names", Array())
    return [(bytes(flat[i]), flat[i + 1]) for i in range(0, len(flat), 2)]


def _anchor_pages(layouts: Sequence[tuple[int, dict[str, int]]], offset: int) -> dict[str, int]:
    """The printed page number of every anchor in the parts laid out, the first starting after
    `offset` pages."""
    pages: dict[str, int] = {}
    for count, anchors in layouts:
        pages.update({name: offset + i + 1 for name, i in anchors.items()})
        offset += count
    return pages


def _numbered_pages(page: str, count: int) -> str:
    """`count` copies of an empty numbered page, as one document."""
    start = page.index(">", page.index("<body")) + 1
    end = page.rindex("</body>")
    body = '<div style="break-after: page"></div>' * (count - 1) + "<div></div>"
    return page[:start] + body + page[end:]


def _copy(out: pikepdf.Pdf, source: pikepdf.Pdf, obj: pikepdf.Object) -> pikepdf.Object:
    """Copy `obj` into `out`; references to pages already copied point at their copies."""
    return out.copy_foreign(obj if obj.is_indirect else source.make_indirect(obj))


def _struct_elements(node: pikepdf.Object):
    kids = node.get("/K")
    for kid in kids if isinstance(kids, Array) else [kids] if kids is not None else []:
        if isinstance(kid, Dictionary) and "/S" in kid:
            yield kid
            yield from _struct_elements(kid)


def _join(files: Sequence[Path], levels: Sequence[int]) -> pikepdf.Pdf:
    """One tagged PDF from the parts, in order, with the document-level entries of the first."""
    out = pikepdf.new()
    with pikepdf.open(files[0]) as first:
        for key in ("/Metadata", "/Lang", "/MarkInfo", "/ViewerPreferences"):
            if key in first.Root:
                out.Root[key] = _copy(out, first, first.Root[key])
        out.trailer.Info = _copy(out, first, first.trailer.Info)
    document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array()))
    root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=Array([document])))
    document.P = root
    joined = _Joined(out, document)
    for i, path in enumerate(files):
        with pikepdf.open(path) as part:
            joined.add(part, f"p{i}-", levels[i])
    joined.finish(root)
    return out


class _Joined:
    """What the parts add up to while they are joined: keys, ids, destinations, outline."""

    def __init__(self, out: pikepdf.Pdf, document: pikepdf.Object):
        self.out, self.document = out, document
        self.nums: list = []
        self.next_key = 0
        self.ids: dict[bytes, pikepdf.Object] = {}
        self.dests: dict[bytes, pikepdf.Object] = {}
        self.outline: list[pikepdf.OutlineItem] = []
        self.spine: list[tuple[pikepdf.OutlineItem, int]] = []  # the last bookmark at each level

    def add(self, part: pikepdf.Pdf, prefix: str, level: int) -> None:
        out, first = self.out, len(self.out.pages)
        with warnings.catch_warnings():  # named destinations are carried over below, not by pikepdf
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            out.pages.extend(part.pages)
        offset = self.next_key
        src = part.Root.StructTreeRoot
        adopted = []
        for element in src.K if isinstance(src.K, Array) else [src.K]:
            kids = _copy(out, part, element).K  # the part's Document: adopt its children
            for kid in kids if isinstance(kids, Array) else [kids]:
                kid.P = self.document
                self.document.K.append(kid)
                adopted.append(kid)
        tree = src.ParentTree
        if "/Kids" in tree:
            raise ValueError("nested parent trees are not expected from WeasyPrint")
        nums = tree.get("/Nums", Array())
        for i in range(0, len(nums), 2):
            self.nums += [int(nums[i]) + offset, _copy(out, part, nums[i + 1])]
            self.next_key = max(self.next_key, int(nums[i]) + offset + 1)
        for page in out.pages[first:]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annot in page.obj.get("/Annots", Array()):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + offset
                _resolve_xref(annot)
        for kid in adopted:
            for element in (kid, *_struct_elements(kid)):
                self._unique_id(element, prefix.encode())
        for name, dest in _dests(part):
            self.dests[name] = _copy(out, part, dest)
        index = {page.objgen: first + i for i, page in enumerate(part.pages)}
        with part.open_outline() as outline:
            items = [_outline_item(item, index) for item in outline.root]
        self._bookmark(items, level)

    def _bookmark(self, items: list[pikepdf.OutlineItem], level: int) -> None:
        """Hang a part's bookmarks (headings of `level`) under the last bookmark one level up."""
        if not items:
            return
        while self.spine and self.spine[-1][1] >= level:
            self.spine.pop()
        (self.spine[-1][0].children if self.spine else self.outline).extend(items)
        node, depth = items[-1], level
        self.spine.append((node, depth))
        while node.children:
            node, depth = node.children[-1], depth + 1
            self.spine.append((node, depth))

    def _unique_id(self, element: pikepdf.Object, prefix: bytes) -> None:
        """Prefix an element's id, and the table headers it cites, with its part's prefix:
        WeasyPrint numbers ids per document, so two parts may use the same."""
        if "/ID" in element:
            element.ID = String(prefix + bytes(element.ID))
            self.ids[bytes(element.ID)] = element
        for attrs in _attribute_dicts(element):
            if "/Headers" in attrs:
                attrs.Headers = Array([String(prefix + bytes(h)) for h in attrs.Headers])

    def finish(self, root: pikepdf.Object) -> None:
        out = self.out
        root.ParentTree = out.make_indirect(Dictionary(Nums=Array(self.nums)))
        root.ParentTreeNextKey = self.next_key
        if self.ids:  # ISO 32000-1 14.7.2: elements with ids need the IDTree a reader finds them by
            root.IDTree = out.make_indirect(
                Dictionary(Names=Array([x for key in sorted(self.ids) for x in (String(key), self.ids[key])]))
            )
        out.Root.StructTreeRoot = root
        out.Root.Names = Dictionary(
            Dests=out.make_indirect(
                Dictionary(Names=Array([x for key in sorted(self.dests) for x in (String(key), self.dests[key])]))
            )
        )
        with out.open_outline() as outline:
            outline.root.extend(self.outline)


def _attribute_dicts(element: pikepdf.Object) -> list[pikepdf.Object]:
    attrs = element.get("/A")
    if attrs is None:
        return []
    return [a for a in (attrs if isinstance(attrs, Array) else [attrs]) if isinstance(a, Dictionary)]


def _resolve_xref(annot: pikepdf.Object) -> None:
    """Point a link WeasyPrint wrote as an XREF URI at the named destination it stands for."""
    action = annot.get("/A")
    if action is None or action.get("/S") != Name.URI or not str(action.URI).startswith(XREF):
        return
    name = str(action.URI)[len(XREF) :]
    del annot.A
    annot.Dest = String(name)
    annot.Contents = String(name)


def _outline_item(item: pikepdf.OutlineItem, index: Mapping[tuple[int, int], int]) -> pikepdf.OutlineItem:
    """A part's bookmark, pointing at the same place on the page's copy in the joined document."""
    dest = item.destination
    new = pikepdf.OutlineItem(
        item.title, index[dest[0].objgen], pikepdf.PageLocation.XYZ, left=float(dest[2]), top=float(dest[3])
    )
    new.children.extend(_outline_item(child, index) for child in item.children)
    return new


def _number_pages(pdf: pikepdf.Pdf, numbers_file: Path) -> None:
    """Draw each page of `numbers_file` over the same page of `pdf`, marked as an artifact."""
    with pikepdf.open(numbers_file) as numbers:
        if len(numbers.pages) != len(pdf.pages):
            raise ValueError(f"{len(numbers.pages)} numbered pages for {len(pdf.pages)} pages")
        for i, (page, numbered) in enumerate(zip(pdf.pages, numbers.pages), 1):
            if page.mediabox != numbered.mediabox:
                raise ValueError("numbered pages differ in size from the report's pages")
            resources = page.obj.Resources  # WeasyPrint shares one among a part's pages: name per page
            if "/XObject" not in resources:
                resources.XObject = Dictionary()
            name = Name(f"/PageNumber{i}")
            resources.XObject[name] = pdf.copy_foreign(numbered.as_form_xobject())
            # the page's own drawing is closed off first so that the number is drawn untransformed
            page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
            page.contents_add(pdf.make_stream(b"Q\n/Artifact BMC q " + bytes(name) + b" Do Q EMC\n"))
