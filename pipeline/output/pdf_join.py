"""The PDF's separately rendered parts joined into one tagged PDF (PDF/UA-1), with pikepdf.

Joined: pages, structure trees (marked-content keys offset, table header ids made unique), named
destinations, links between parts (written as XREF links by pdf_render.split_document) and the
outline; page numbers are drawn over every page, as artifacts, from a document of numbered
empty pages. `layout` reads a rendered part's pages and anchors, from which the contents'
page numbers are filled in.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from pipeline.output.pdf_render import XREF


def layout(path: Path) -> tuple[int, dict[str, int]]:
    """A rendered part's page count, and the page (from 0) each of its anchors is on."""
    with pikepdf.open(path) as pdf:
        index = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
        return len(pdf.pages), {name.decode("utf-8"): index[dest[0].objgen] for name, dest in _dests(pdf)}


def _dests(pdf: pikepdf.Pdf) -> list[tuple[bytes, pikepdf.Object]]:
    """The named destinations (anchor name, [page /XYZ x y 0]) WeasyPrint wrote."""
    names = pdf.Root.get("/Names", Dictionary()).get("/Dests", Dictionary())
    if "/Kids" in names:
        raise ValueError("nested name trees are not expected from WeasyPrint")
    flat = names.get("/Names", Array())
    return [(bytes(flat[i]), flat[i + 1]) for i in range(0, len(flat), 2)]


def anchor_pages(layouts: Sequence[tuple[int, dict[str, int]]], offset: int) -> dict[str, int]:
    """The printed page number of every anchor in the parts laid out, the first starting after
    `offset` pages."""
    pages: dict[str, int] = {}
    for count, anchors in layouts:
        pages.update({name: offset + i + 1 for name, i in anchors.items()})
        offset += count
    return pages


def _copy(out: pikepdf.Pdf, source: pikepdf.Pdf, obj: pikepdf.Object) -> pikepdf.Object:
    """Copy `obj` into `out`; references to pages already copied point at their copies."""
    return out.copy_foreign(obj if obj.is_indirect else source.make_indirect(obj))


def _struct_elements(node: pikepdf.Object) -> Iterator[pikepdf.Object]:
    kids = node.get("/K")
    for kid in kids if isinstance(kids, Array) else [kids] if kids is not None else []:
        if isinstance(kid, Dictionary) and "/S" in kid:
            yield kid
            yield from _struct_elements(kid)


def join(files: Sequence[Path], levels: Sequence[int]) -> pikepdf.Pdf:
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
        index = {page.obj.objgen: first + i for i, page in enumerate(part.pages)}
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
    if not isinstance(dest, Array):
        raise ValueError("bookmarks without a destination array are not expected from WeasyPrint")
    new = pikepdf.OutlineItem(
        item.title, index[dest[0].objgen], pikepdf.PageLocation.XYZ, left=float(dest[2]), top=float(dest[3])
    )
    new.children.extend(_outline_item(child, index) for child in item.children)
    return new


def number_pages(pdf: pikepdf.Pdf, numbers_file: Path) -> None:
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


def save(pdf: pikepdf.Pdf, target: Path) -> None:
    """Write the joined PDF so that two builds of the same parts are byte-identical."""
    target.parent.mkdir(parents=True, exist_ok=True)
    pdf.save(target, deterministic_id=True, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
