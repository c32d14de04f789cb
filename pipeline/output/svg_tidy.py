"""Lighter SVG for print: plotly's markup without what draws nothing.

plotly.js writes every chart with its whole layer scaffold (some 40 empty or attribute-less
groups), invisible hover layers and every paint property in a `style` attribute. WeasyPrint
cascades attributes node by node and parses each style attribute with a CSS tokenizer, so that
markup costs it about a third of a chart part's rendering time. Here empty groups and invisible
elements are dropped, bare groups are unwrapped and style declarations become presentation
attributes; the picture is unchanged. (scour does more, but has had no release since 2020.)
lxml keeps the document's own namespace prefixes; ElementTree would write them from a registry
other libraries change at run time, so two builds could differ.
"""

from __future__ import annotations

from lxml import etree

SVG_NS = "http://www.w3.org/2000/svg"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# CSS properties that SVG also takes as presentation attributes (the ones plotly writes)
PRESENTATION = frozenset(
    {
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-opacity",
        "stroke-dasharray",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "opacity",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
        "text-anchor",
        "dominant-baseline",
        "vector-effect",
        "shape-rendering",
        "visibility",
        "display",
        "color",
        "clip-rule",
    }
)


def tidy_svg(svg: bytes) -> bytes:
    """The same picture in fewer, attribute-styled nodes. An SVG with a stylesheet is returned
    as it is, since its rules may select the classes and groups this would remove."""
    root = etree.fromstring(svg, etree.XMLParser(resolve_entities=False, no_network=True))
    if root.find(f".//{{{SVG_NS}}}style") is not None:
        return svg
    _styles_to_attributes(root)
    _prune(root)
    return etree.tostring(root, encoding="utf-8")


def _styles_to_attributes(element: etree._Element) -> None:
    """Move each style declaration SVG also knows as an attribute onto the element (a style
    declaration outranks the attribute, so it replaces one already there)."""
    for el in element.iter(etree.Element):
        kept = []
        for declaration in el.attrib.pop("style", "").split(";"):
            name, colon, value = declaration.partition(":")
            name, value = name.strip(), value.strip()
            if not colon or not name:
                continue
            if name in PRESENTATION:
                el.set(name, value)
            elif name == "white-space" and value == "pre":
                el.set(XML_SPACE, "preserve")  # SVG's own spelling of it
            else:
                kept.append(f"{name}: {value}")
        if kept:
            el.set("style", "; ".join(kept))


def _prune(parent: etree._Element) -> None:
    """Drop children that draw nothing and unwrap groups that carry nothing, depth first."""
    for child in list(parent.iterchildren(etree.Element)):
        _prune(child)
        position = parent.index(child)
        tag = etree.QName(child).localname
        if _draws_nothing(child, tag):
            parent.remove(child)
        elif tag == "g" and set(child.attrib) <= {"class"}:
            for offset, grandchild in enumerate(list(child)):
                parent.insert(position + offset, grandchild)  # moves it out of the group
            parent.remove(child)


def _draws_nothing(element: etree._Element, tag: str) -> bool:
    if element.get("opacity") == "0" or element.get("display") == "none":
        return True
    if tag in ("g", "defs") and len(element) == 0 and "id" not in element.attrib:
        return True
    return tag == "path" and not element.get("d")
