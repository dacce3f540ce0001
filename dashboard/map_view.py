"""The map component: draws the SVG data of dashboard/map_svg.py in the page, without WebGL.

A Streamlit component of its own (a few lines of JavaScript in the page, no library to load):
it builds the paths and names with the DOM (names and tooltips are text, never HTML), shows a
unit's tooltip under the pointer, zooms with the wheel and pans by dragging (a double click
fits the map again), and sends the code of a clicked unit back, which the page drills into. The
same data is drawn once: a rerun that sends identical data leaves the drawing as it is.

Under the component the page shows the same map as plain SVG markup (map_svg.py:still_markup),
the first picture a leader sees: the browser draws it with the page, while the component's
script is imported only after the page's other elements (tables included) are drawn. Once the
script has drawn the map, the still picture is hidden (docs/benchmarks.md, "The map's first picture, text as Python strings").
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping

import streamlit as st
from streamlit.components.v2 import component

from dashboard.map_svg import still_markup

MAP_JS = r"""
const NS = "http://www.w3.org/2000/svg";

function make(name, attributes) {
  const element = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) element.setAttribute(key, String(value));
  }
  return element;
}

function hideStill(data) {
  // The map's first picture, under this component (dashboard/map_view.py); the drawing replaces it.
  for (const still of document.querySelectorAll(`.${data.still}`)) still.style.visibility = "hidden";
}

function draw(data, box, setTriggerValue) {
  const { width, height } = data;
  const svg = make("svg", {
    viewBox: `0 0 ${width} ${height}`, width: "100%", height: height,
    preserveAspectRatio: "xMidYMid meet", role: "img",
  });
  const stage = make("g", {});
  svg.appendChild(stage);
  for (const group of data.groups) {
    const g = make("g", {
      id: group.id, fill: group.fill || "none", stroke: group.stroke || "none",
      "stroke-width": group.width || 0, "stroke-linejoin": "round",
      "fill-rule": "evenodd", class: group.pick ? "pick" : null,
    });
    for (const shape of group.shapes) {
      const path = make("path", {
        d: shape.d, fill: shape.fill, stroke: shape.stroke, "stroke-width": shape.width,
        "vector-effect": "non-scaling-stroke",
      });
      if (shape.tip) path.dataset.tip = shape.tip;
      if (shape.drill) path.dataset.drill = shape.drill;
      g.appendChild(path);
    }
    stage.appendChild(g);
  }
  for (const group of data.circles) {
    const g = make("g", {
      id: group.id, fill: group.fill || "none", stroke: group.stroke || "none",
      "stroke-width": group.width || 0, class: group.pick ? "pick" : null,
    });
    for (const item of group.items) {
      const circle = make("circle", {
        cx: item.x, cy: item.y, r: item.r, "vector-effect": "non-scaling-stroke",
      });
      if (item.tip) circle.dataset.tip = item.tip;
      if (item.drill) circle.dataset.drill = item.drill;
      g.appendChild(circle);
    }
    stage.appendChild(g);
  }
  const names = make("g", {
    id: "labels", fill: data.label_colour, stroke: data.label_halo, "font-weight": 600,
    "font-family": data.font, "text-anchor": "middle", "dominant-baseline": "central",
    "paint-order": "stroke", "stroke-linejoin": "round", "pointer-events": "none",
  });
  for (const label of data.labels) {
    const text = make("text", { x: label.x, y: label.y, "font-size": label.size,
      "stroke-width": label.size / 4 });
    text.dataset.size = label.size;
    text.textContent = label.text;
    names.appendChild(text);
  }
  stage.appendChild(names);
  box.replaceChildren(svg);

  const tip = document.createElement("div");
  tip.className = "tip";
  box.appendChild(tip);
  let view = [0, 0, width, height];
  const show = () => {
    svg.setAttribute("viewBox", view.join(" "));
    const scale = view[2] / width;
    for (const text of names.children) {
      const size = Number(text.dataset.size) * scale;
      text.setAttribute("font-size", size);
      text.setAttribute("stroke-width", size / 4);
    }
  };
  const toMap = (event) => {
    const r = svg.getBoundingClientRect();
    const k = Math.max(view[2] / r.width, view[3] / r.height);
    const dx = (r.width - view[2] / k) / 2, dy = (r.height - view[3] / k) / 2;
    return [view[0] + (event.clientX - r.left - dx) * k, view[1] + (event.clientY - r.top - dy) * k, k];
  };
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const [x, y] = toMap(event);
    const f = Math.min(Math.max(event.deltaY > 0 ? 1.25 : 0.8, width / 64 / view[2]), width / view[2]);
    view = [x - (x - view[0]) * f, y - (y - view[1]) * f, view[2] * f, view[3] * f];
    show();
  }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (event) => { drag = { x: event.clientX, y: event.clientY, moved: false }; });
  svg.addEventListener("pointerup", () => { setTimeout(() => { drag = null; }, 0); });
  svg.addEventListener("pointerleave", () => { drag = null; tip.style.display = "none"; });
  svg.addEventListener("dblclick", () => { view = [0, 0, width, height]; show(); });
  svg.addEventListener("pointermove", (event) => {
    if (drag && event.buttons) {
      const k = toMap(event)[2];
      const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      view = [view[0] - dx * k, view[1] - dy * k, view[2], view[3]];
      drag.x = event.clientX; drag.y = event.clientY;
      show();
      return;
    }
    const target = event.target.closest ? event.target.closest("[data-tip]") : null;
    if (!target) { tip.style.display = "none"; return; }
    tip.textContent = target.dataset.tip;
    const r = box.getBoundingClientRect();
    tip.style.left = `${event.clientX - r.left + 14}px`;
    tip.style.top = `${event.clientY - r.top + 14}px`;
    tip.style.display = "block";
  });
  svg.addEventListener("click", (event) => {
    if (drag && drag.moved) return;
    const target = event.target.closest ? event.target.closest("[data-drill]") : null;
    if (target) setTriggerValue("clicked", target.dataset.drill);
  });
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const box = parentElement.querySelector(".grid-map");
  const drawn = JSON.stringify(data);
  if (box.drawnData !== drawn) {  // the same map again: nothing to redraw
    box.drawnData = drawn;
    draw(data, box, setTriggerValue);
  }
  hideStill(data);
}
"""

MAP_CSS = """
.grid-map { position: relative; width: 100%; user-select: none; }
.grid-map svg { display: block; cursor: grab; }
.grid-map .pick > *:hover { opacity: 0.8; }
.grid-map .pick > * { cursor: pointer; }
.grid-map .tip {
  display: none; position: absolute; pointer-events: none; z-index: 10; max-width: 360px;
  padding: 6px 9px; border-radius: 4px; background: rgba(33, 47, 61, 0.92); color: white;
  font-size: 13px; line-height: 1.5; white-space: pre-line;
}
"""

# The keys' endings of the map's frame and of its first picture inside it, which lies under the
# component (the frame is the still's stacking context; the component is drawn over it).
FRAME, STILL = "_frame", "_still"
# The still and the wrapper Streamlit puts around it are out of the frame's flow, so that the
# frame is as tall as the component and the two boxes coincide, whatever gap a page's style sets.
STILL_CSS = """<style>
.{frame} {{ position: relative; z-index: 0; gap: 0 !important; }}
.{frame} > [data-testid="stLayoutWrapper"]:has(> .{still}) {{
  position: absolute; top: 0; left: 0; width: 100%; height: 0;
}}
.{still} {{ position: absolute; top: 0; left: 0; width: 100%; z-index: -1; pointer-events: none; }}
</style>"""

_map_component = component(
    "dashboard.grid_map", html='<div class="grid-map"></div>', css=MAP_CSS, js=MAP_JS
)


def svg_map(
    spec: dict[str, object], key: str, on_click: Callable[[], None] | None = None
) -> object:
    """Draws the map (data of dashboard/map_svg.py:svg_spec); on_click runs when a unit is
    clicked (clicked_code(key) is the unit's code then)."""
    height = int(str(spec["height"]))
    frame, still = f"{key}{FRAME}", f"{key}{STILL}"  # a container's class is st-key-<key>
    data = {**spec, "still": f"st-key-{still}"}
    with st.container(key=frame):
        with st.container(key=still):
            st.html(
                STILL_CSS.format(frame=f"st-key-{frame}", still=f"st-key-{still}")
                + still_image(spec)
            )
        if on_click is None:
            return _map_component(key=key, data=data, height=height)
        return _map_component(key=key, data=data, height=height, on_clicked_change=on_click)


def still_image(spec: dict[str, object]) -> str:
    """The map's first picture as an image of its SVG markup: st.html keeps HTML only (no inline
    SVG), and an image cannot run anything. Fitted to the map's box as the component fits it."""
    markup = base64.b64encode(still_markup(spec).encode()).decode()
    height = int(str(spec["height"]))
    return (
        f'<img src="data:image/svg+xml;base64,{markup}" alt="" '
        f'style="display:block;width:100%;height:{height}px;object-fit:contain">'
    )


def clicked_code(key: str) -> str | None:
    """The code of the unit clicked on the map of `key` in this run, if any."""
    state = st.session_state.get(key)
    value = state.get("clicked") if isinstance(state, Mapping) else None
    return str(value) if value else None
