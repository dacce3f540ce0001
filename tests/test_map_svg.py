"""The grid map as SVG data (dashboard/map_svg.py): the deck's units, colours, names and tooltips,
in the map's pixels, and the Grids page drawing it without WebGL."""

from __future__ import annotations

import base64
import json
import math
import re
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest

from dashboard.grid_map import MapOptions, deck_of, map_drawing
from dashboard.i18n import text_in
from dashboard.map_data import load_map_data
from dashboard.map_style import (
    DARK,
    OUT_OF_RANGE_LINE,
    OVERLAP_COLOUR,
    STATUS_COLOURS,
    metric_classes,
)
from dashboard.map_svg import (
    css,
    fill_template,
    metres_per_pixel,
    path_data,
    still_markup,
    svg_spec,
)
from dashboard.map_view import still_image
from data_access.scope import Scope
from data_access.settings import get_settings
from tests.grid_city import AS_OF, A, B
from tests.test_pages import run_app

EN = text_in("en")
ZH = text_in("zh")
MAP_COMPONENT = "dashboard.grid_map"


def _points(path: str) -> np.ndarray:
    return np.array([[float(x), float(y)] for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", path)])


def _world_px(zoom: float) -> float:
    return 512 * 2**zoom  # deck.gl's Web Mercator world at zoom 0 is 512 px wide


def test_district_map_fills_communities_with_the_decks_colours_tooltips_and_names(
    grid_city, settings
):
    data = load_map_data(grid_city, Scope("990201", AS_OF), settings)
    values = pd.DataFrame({"code": [A, B], "spatial_coverage": [1.0, 0.5]})
    drawing = map_drawing(data, settings, EN, values, "spatial_coverage", "en")
    spec = svg_spec(drawing)
    assert (spec["width"], spec["height"]) == (900, 560)
    assert [g["id"] for g in spec["groups"]] == ["units", "outlines"]
    assert spec["circles"] == []
    units, outlines = spec["groups"]
    by_code = {shape["drill"]: shape for shape in units["shapes"]}
    assert set(by_code) == {A, B}  # a click drills into the community clicked
    lit = metric_classes("spatial_coverage", settings)  # the deck's colours, as CSS
    assert by_code[A]["fill"] == css(lit.colours[2])  # meets
    assert by_code[B]["fill"] == css(lit.colours[0])  # below
    red, green, blue, alpha = lit.colours[0]
    assert by_code[B]["fill"] == f"rgba({red},{green},{blue},{alpha / 255:.2f})"
    assert by_code[B]["tip"].splitlines()[:2] == [
        "乙社区 (990201001002)",
        "Spatial coverage: 50.0% ○",
    ]
    assert units["pick"] is True and outlines["pick"] is False
    assert outlines["stroke"] == "rgba(44,62,80,1.00)" and outlines["width"] == 1.6
    # The two squares side by side fill the view's box: [114.00, 114.02] × [30.00, 30.02].
    view = drawing.view
    corners = np.vstack([_points(by_code[code]["d"]) for code in (A, B)])
    width_px = 0.02 / 360 * _world_px(view.zoom)
    assert corners[:, 0].min() == pytest.approx(450 - width_px / 2, abs=0.06)
    assert corners[:, 0].max() == pytest.approx(450 + width_px / 2, abs=0.06)
    merc = [math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) for lat in (30.0, 30.02)]
    height_px = (merc[1] - merc[0]) / (2 * math.pi) * _world_px(view.zoom)
    assert corners[:, 1].max() - corners[:, 1].min() == pytest.approx(height_px, abs=0.1)
    assert (corners[:, 1].max() + corners[:, 1].min()) / 2 == pytest.approx(280, abs=0.1)
    # North is up: A (the southern square) lies below B.
    assert _points(by_code[A]["d"])[:, 1].mean() > _points(by_code[B]["d"])[:, 1].mean()
    deck_labels = json.loads(deck_of(drawing, settings).to_json())["layers"][-1]["data"]
    assert [lab["text"] for lab in spec["labels"]] == [lab["text"] for lab in deck_labels]
    assert [lab["text"] for lab in spec["labels"]] == ["北街道", "乙社区"]
    assert [lab["size"] for lab in spec["labels"]] == [16, 12]
    assert spec["label_colour"] == "rgba(20,30,45,1.00)"
    assert spec["font"].startswith('"Noto Sans CJK SC"')


def test_street_map_draws_grids_pieces_facilities_and_walking_circles(grid_city, settings):
    data = load_map_data(grid_city, Scope("990201001", AS_OF), settings)
    spec = svg_spec(map_drawing(data, settings, ZH))
    assert [g["id"] for g in spec["groups"]] == ["grids", "gaps", "overlaps", "outlines"]
    assert [c["id"] for c in spec["circles"]] == ["facilities"]
    grids = {shape["tip"].splitlines()[0]: shape for shape in spec["groups"][0]["shapes"]}
    a2 = grids[f"网格1002（{A}002）"]
    assert a2["fill"] == css(STATUS_COLOURS["parttime"])
    assert (a2["stroke"], a2["width"]) == ("rgba(108,52,131,1.00)", 4)  # 600 households
    assert css(OUT_OF_RANGE_LINE) == a2["stroke"]
    a1 = grids[f"网格1001（{A}001）"]
    assert "stroke" not in a1  # the group's thin white line
    assert a1["drill"] == A  # a grid leads to its community
    assert grids[f"网格2001（{B}001）"]["fill"] == css(STATUS_COLOURS["unstaffed"])
    assert spec["groups"][1]["shapes"] == []  # no blind spot (B2 has no boundary: unknown)
    (overlap,) = spec["groups"][2]["shapes"]  # B3 over B1's east half
    assert overlap["drill"] == B and spec["groups"][2]["fill"] == css(OVERLAP_COLOUR)
    corners = _points(overlap["d"])
    b1 = _points(grids[f"网格2001（{B}001）"]["d"])
    assert corners[:, 0].max() == pytest.approx(b1[:, 0].max(), abs=0.11)  # both end at 114.01
    assert np.ptp(corners[:, 0]) == pytest.approx(np.ptp(b1[:, 0]) / 2, abs=0.11)  # half as wide
    facilities = spec["circles"][0]["items"]
    assert len(facilities) == 3 and all(item["r"] == 5 for item in facilities)

    drawing = map_drawing(data, settings, ZH, options=MapOptions(walk_circles=True))
    spec = svg_spec(drawing)
    assert [c["id"] for c in spec["circles"]] == ["walk_radius", "facilities"]
    walk, facilities = spec["circles"]
    assert [(i["x"], i["y"]) for i in walk["items"]] == [
        (i["x"], i["y"]) for i in facilities["items"]
    ]
    # 1,000 m against A1's 0.01° of longitude, both in pixels of the same view.
    grids = {shape["tip"].splitlines()[0]: shape for shape in spec["groups"][0]["shapes"]}
    a1_px = np.ptp(_points(grids[f"网格1001（{A}001）"]["d"])[:, 0])
    ground_m = 0.01 * 40_075_016.686 / 360 * math.cos(math.radians(drawing.view.latitude))
    assert walk["items"][0]["r"] == pytest.approx(
        a1_px * settings.walk_radius_m / ground_m, rel=2e-3
    )


def test_names_and_tooltips_are_text_and_the_dark_theme_carries_over(grid_city, settings):
    data = load_map_data(grid_city, Scope(None, AS_OF), settings)
    options = MapOptions(1000, 700, DARK, label_scale=2.0)
    spec = svg_spec(map_drawing(data, settings, ZH, options=options))
    assert (spec["width"], spec["height"]) == (1000, 700)
    assert [(lab["text"], lab["size"]) for lab in spec["labels"]] == [("方格区", 32.0)]
    assert spec["label_colour"] == css(DARK.label)
    assert spec["groups"][1]["stroke"] == "rgba(230,238,245,1.00)"
    assert fill_template(
        "{name}（{code}）: {value_text}",
        {"name": "<b>甲</b>", "code": "1", "value_text": "5%", "n": 3},
    ) == (
        "<b>甲</b>（1）: 5%"
    )  # handed to the browser as text: the component sets textContent, never HTML


SVG = "{http://www.w3.org/2000/svg}"


def test_the_still_picture_is_the_components_drawing_with_names_as_text(grid_city, settings):
    """The map's first picture (map_svg.py:still_markup) holds every path, circle and name of the
    spec with the component's colours; a name is text in it, whatever it holds."""
    data = load_map_data(grid_city, Scope("990201001", AS_OF), settings)
    spec = svg_spec(map_drawing(data, settings, ZH, options=MapOptions(walk_circles=True)))
    spec["labels"].append({"x": 1, "y": 2, "size": 12, "text": '<b>甲&乙</b>"><script>x</script>'})
    svg = ElementTree.fromstring(still_markup(spec))
    assert svg.tag == f"{SVG}svg"
    assert svg.get("viewBox") == f"0 0 {spec['width']} {spec['height']}"
    groups = svg.findall(f"{SVG}g")
    assert len(groups) == len(spec["groups"]) + len(spec["circles"]) + 1  # and the names
    for group, drawn in zip(spec["groups"], groups, strict=False):
        assert drawn.get("fill") == (group["fill"] or "none")
        assert drawn.get("stroke") == (group["stroke"] or "none")
        paths = drawn.findall(f"{SVG}path")
        assert [p.get("d") for p in paths] == [shape["d"] for shape in group["shapes"]]
        assert [p.get("fill") for p in paths] == [shape.get("fill") for shape in group["shapes"]]
        assert [p.get("stroke") for p in paths] == [s.get("stroke") for s in group["shapes"]]
    circles = groups[len(spec["groups"]) : -1]
    assert [len(g.findall(f"{SVG}circle")) for g in circles] == [
        len(c["items"]) for c in spec["circles"]
    ]
    assert [c.get("r") for c in circles[0]] == [str(i["r"]) for i in spec["circles"][0]["items"]]
    names = groups[-1]
    assert names.get("fill") == spec["label_colour"] and names.get("font-family") == spec["font"]
    texts = names.findall(f"{SVG}text")
    assert [t.text for t in texts] == [label["text"] for label in spec["labels"]]
    assert all(len(t) == 0 for t in texts)  # no element inside a name: text only
    assert texts[0].get("font-size") == str(spec["labels"][0]["size"]).removesuffix(".0")
    assert len(list(svg.iter(f"{SVG}script"))) == 0

    image = still_image(spec)  # st.html keeps HTML only: the markup as an image's data
    assert image.startswith('<img src="data:image/svg+xml;base64,')
    encoded = image.split("base64,", 1)[1].split('"', 1)[0]
    assert base64.b64decode(encoded).decode() == still_markup(spec)
    assert f"height:{spec['height']}px" in image


def test_path_data_and_ground_scale():
    from dashboard.map_geometry import fit_view

    view = fit_view((114.0, 30.0, 114.02, 30.02), 900, 560)
    square = [[[114.0, 30.0], [114.02, 30.0], [114.02, 30.02], [114.0, 30.02], [114.0, 30.0]]]
    path = path_data(square, view, 900, 560)
    assert path.startswith("M") and path.endswith("Z") and path.count("M") == 1
    assert len(_points(path)) == 5
    assert path_data([[[114.0, 30.0], [114.01, 30.0]]], view, 900, 560) == ""  # not a ring
    zoom0 = type(view)(longitude=0, latitude=0, zoom=0)
    assert metres_per_pixel(zoom0) == pytest.approx(40_075_016.686 / 512)
    north = type(view)(longitude=0, latitude=60, zoom=3)
    assert metres_per_pixel(north) == pytest.approx(40_075_016.686 * 0.5 / 512 / 8)


def _maps(at) -> list:
    return [e for e in at.get("bidi_component") if e.proto.component_name == MAP_COMPONENT]


@pytest.mark.slow
def test_grids_page_draws_the_svg_map_the_same_on_a_rerun_and_webgl_on_request(
    grid_city_url, monkeypatch
):
    at = run_app(grid_city_url, monkeypatch, page="pages/grids.py", lang="en", month="2025-06")
    assert not at.exception
    (city,) = _maps(at)
    assert at.get("deck_gl_json_chart") == []
    sent = json.loads(city.proto.json)
    assert [lab["text"] for lab in sent["labels"]] == ["方格区"]
    # The same map as the first picture under the component, which hides it once drawn.
    assert sent["still"] == "st-key-grids_map_still"
    spec = {key: value for key, value in sent.items() if key != "still"}
    assert [h.proto.body for h in at.get("html") if still_image(spec) in h.proto.body]
    at.run()  # a rerun sends the same data: the browser keeps its drawing
    assert _maps(at)[0].proto.json == city.proto.json
    assert _maps(at)[0].proto.id == city.proto.id

    at = run_app(
        grid_city_url, monkeypatch, page="pages/grids.py",
        lang="en", month="2025-06", district="990201", street="990201001",
    )  # fmt: skip
    (street,) = _maps(at)
    assert street.proto.id == city.proto.id  # one map element for every scope
    assert json.loads(street.proto.json)["groups"][0]["id"] == "grids"
    at.toggle(key="grids_map_webgl").set_value(True).run()
    assert not at.exception
    assert _maps(at) == [] and len(at.get("deck_gl_json_chart")) == 1


@pytest.mark.slow
def test_a_basemap_is_drawn_by_the_deck(grid_city_url, monkeypatch):
    """Tiles under the map need deck.gl's map: with a basemap set the page draws the deck."""
    monkeypatch.setenv("DASHBOARD_BASEMAP", "carto")
    get_settings.cache_clear()
    try:
        at = run_app(grid_city_url, monkeypatch, page="pages/grids.py", lang="en", month="2025-06")
    finally:
        monkeypatch.delenv("DASHBOARD_BASEMAP")
        get_settings.cache_clear()
    assert not at.exception
    assert _maps(at) == []
    (deck,) = at.get("deck_gl_json_chart")
    assert json.loads(deck.proto.json)["mapProvider"] == "carto"
