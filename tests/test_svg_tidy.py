"""The print SVG tidy: fewer nodes, the same drawing."""

import xml.etree.ElementTree as ET

from pipeline.output.svg_tidy import tidy_svg

NS = "{http://www.w3.org/2000/svg}"
PLOTLY_LIKE = b"""<svg class="main-svg" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="50" style="">
<defs id="defs-1"><g class="clips"><clipPath id="clip1"><rect width="80" height="40"/></clipPath></g><g class="gradients"/></defs>
<g class="bglayer"/><path class="xlines-below"/>
<g class="cartesianlayer"><g class="subplot xy"><g class="layer-subplot"><g class="shapelayer"/></g>
<g class="xy" transform="translate(10,5)" clip-path="url(#clip1)"><g class="points"><g class="point">
<path d="M0,0H40V10H0Z" style="vector-effect: none; opacity: 1; fill: rgb(18, 67, 109); fill-opacity: 1;" fill="red"/>
<text x="1" y="2" style="font-family: 'Liberation Sans', Arial; font-size: 13px; fill: rgb(255, 255, 255); white-space: pre; cursor: pointer;">31%  </text>
</g></g></g></g></g>
<g class="hoverlayer" style="opacity: 0;"><text>hidden</text></g>
<g class="infolayer"><g class="g-gtitle"><text class="gtitle" style="font-size: 14px;">Title</text></g></g>
</svg>"""


def _tidied():
    return ET.fromstring(tidy_svg(PLOTLY_LIKE))


def test_drops_what_draws_nothing_and_unwraps_bare_groups():
    root = _tidied()
    tags = [el.tag.removeprefix(NS) for el in root.iter()]
    assert tags.count("g") == 1  # only the group with a transform and clip path is left
    assert [t.text for t in root.iter(f"{NS}text")] == ["31%  ", "Title"]  # the invisible hover text is gone
    assert [p.get("d") for p in root.iter(f"{NS}path")] == ["M0,0H40V10H0Z"]  # an empty path is gone
    assert root.find(f"{NS}defs/{NS}clipPath").get("id") == "clip1"  # what is referenced stays


def test_style_declarations_become_attributes_and_win_over_them():
    root = _tidied()
    path = next(root.iter(f"{NS}path"))
    assert path.get("style") is None
    assert path.get("fill") == "rgb(18, 67, 109)"  # the style declaration outranked fill="red"
    label = next(root.iter(f"{NS}text"))
    assert label.get("font-family") == "'Liberation Sans', Arial" and label.get("font-size") == "13px"
    assert label.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"  # white-space: pre
    assert label.get("style") == "cursor: pointer"  # what SVG has no attribute for is kept as style


def test_order_and_transforms_are_kept():
    group = next(el for el in _tidied().iter(f"{NS}g"))
    assert group.get("transform") == "translate(10,5)" and group.get("clip-path") == "url(#clip1)"
    assert [el.tag.removeprefix(NS) for el in group] == ["path", "text"]


def test_an_svg_with_a_stylesheet_is_left_alone():
    styled = PLOTLY_LIKE.replace(b"<defs id", b"<style>.point path { fill: blue }</style><defs id")
    assert tidy_svg(styled) == styled
