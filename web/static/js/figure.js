// The runner's midstance, drawn: a stick figure from the stored landmarks (never video), a
// plumb line through the stance ankle and one through the hip, the gap between them in words,
// and the lean line from the stance foot. Built with DOM APIs (the pages' CSP allows no inline
// script or style). Landmarks come in leg lengths, stance ankle at the origin, x forward, y up
// (GET /api/sessions/ID/midstance, the live state's "midstance"); the runner faces right.
"use strict";

const msFigure = (() => {
  const SVG = "http://www.w3.org/2000/svg";
  const SCALE = 100; // SVG units per leg length
  const HIPS = [23, 24], SHOULDERS = [11, 12], NOSE = 0;
  // Bones to draw, as index pairs: core/landmarks.py EDGES, handed over by the page.
  const pageEdges = () => {
    const el = document.querySelector("[data-edges]");
    return el ? JSON.parse(el.dataset.edges) : [];
  };

  function el(name, attrs, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const X = (x) => +(x * SCALE).toFixed(1);
  const Y = (y) => +(-y * SCALE).toFixed(1);

  // The hip vs ankle gap in words, in the runner's unit (ms.lengthUnit: cm when a height is
  // kept in this browser, else % of leg length): positive = the hip ahead of the ankle.
  function gapWords(offset) {
    if (typeof offset !== "number" || !isFinite(offset)) return "hip vs ankle not measured";
    const u = ms.lengthUnit(), n = Math.abs(Math.round(offset * u.scale));
    if (n === 0) return "hip right over the ankle";
    const size = u.height ? `${n} cm` : `${n}% of leg length`;
    return `hip ${size} ${offset > 0 ? "ahead of" : "behind"} the ankle`;
  }

  function leanWords(lean) {
    if (typeof lean !== "number" || !isFinite(lean)) return "lean not measured";
    const size = Math.abs(lean).toFixed(0);
    return `body leaning ${size}° ${lean >= 0 ? "forward" : "backward"} from the ankle`;
  }

  // The mean of the points seen among `indices` ([x, y] or null).
  function mean(xy, indices) {
    const seen = indices.map((i) => xy[i]).filter((p) => Array.isArray(p));
    if (!seen.length) return null;
    return [seen.reduce((s, p) => s + p[0], 0) / seen.length, seen.reduce((s, p) => s + p[1], 0) / seen.length];
  }

  // An <svg data-figure="midstance"> for `fig` ({xy, vis, hip_ankle_offset, lean_deg, ...}),
  // or null when it has nothing to draw. `title` names it ("Typical midstance", ...).
  function build(fig, title) {
    const xy = fig && Array.isArray(fig.xy) ? fig.xy : [];
    if (!xy.some((p) => Array.isArray(p))) return null;
    const offset = fig.hip_ankle_offset, lean = fig.lean_deg;
    const words = gapWords(offset);
    const svg = el("svg", {
      viewBox: "-130 -255 260 295", class: "figure", role: "img",
      "data-figure": "midstance",
      "data-offset": typeof offset === "number" ? offset : "",
      "aria-label": `${title}: ${words}; ${leanWords(lean)}.`,
    });
    svg.append(el("title", {}, `${title}: ${words}`));
    svg.append(el("line", { x1: -115, y1: 0, x2: 115, y2: 0, class: "ground" }));

    // The figure: bones between seen landmarks, then the joints.
    const bones = el("g", { class: "bones" });
    for (const [a, b] of pageEdges()) {
      if (Array.isArray(xy[a]) && Array.isArray(xy[b])) {
        bones.append(el("line", { x1: X(xy[a][0]), y1: Y(xy[a][1]), x2: X(xy[b][0]), y2: Y(xy[b][1]) }));
      }
    }
    const sh = mean(xy, SHOULDERS), hip = mean(xy, HIPS);
    if (sh && hip) bones.append(el("line", { x1: X(sh[0]), y1: Y(sh[1]), x2: X(hip[0]), y2: Y(hip[1]), class: "spine" }));
    if (Array.isArray(xy[NOSE])) bones.append(el("circle", { cx: X(xy[NOSE][0]), cy: Y(xy[NOSE][1]), r: 9, class: "head" }));
    svg.append(bones);

    // The lean line from the stance foot (the origin) at the measured lean, up to head height.
    if (typeof lean === "number" && isFinite(lean)) {
      const rad = (lean * Math.PI) / 180, length = 1.9;
      svg.append(el("line", {
        x1: 0, y1: 0, x2: X(Math.sin(rad) * length), y2: Y(Math.cos(rad) * length),
        class: "lean", "data-line": "lean",
      }));
    }
    // Plumb lines: through the ankle (x = 0) and through the hip (x = the measured offset).
    svg.append(el("line", { x1: 0, y1: 10, x2: 0, y2: -200, class: "plumb plumb-ankle", "data-line": "ankle" }));
    if (typeof offset === "number" && isFinite(offset)) {
      const hipY = hip ? hip[1] : 1;
      svg.append(el("line", { x1: X(offset), y1: 10, x2: X(offset), y2: -200, class: "plumb plumb-hip", "data-line": "hip" }));
      svg.append(el("line", { x1: 0, y1: Y(hipY), x2: X(offset), y2: Y(hipY), class: "gap", "data-line": "gap" }));
      svg.append(el("text", { x: -4, y: 26, class: "plumb-name", "text-anchor": "end" }, "ankle"));
      svg.append(el("text", { x: X(offset) + 4, y: 26, class: "plumb-name" }, "hip"));
    }
    // The gap in words, on two lines ("hip 4 cm" / "ahead of the ankle") so it stays
    // legible in a third of a phone's width.
    const label = el("text", { x: 0, y: -232, class: "gap-label", "text-anchor": "middle", "data-label": "gap" });
    const split = words.match(/^(hip .+?) ((?:ahead of|behind) the ankle)$/);
    const lines = split ? [split[1] + " ", split[2]] : [words];
    lines.forEach((line, i) => label.append(el("tspan", { x: 0, dy: i ? "1.15em" : 0 }, line)));
    svg.append(label);
    return svg;
  }

  // Draw `fig` into `container` with a caption; `empty` is said instead when there is none.
  function draw(container, fig, title, caption, empty) {
    const svg = build(fig, title);
    const figure = document.createElement("figure");
    figure.className = "midstance";
    const cap = document.createElement("figcaption");
    cap.textContent = svg ? caption : empty;
    if (svg) figure.append(svg);
    figure.append(cap);
    container.replaceChildren(figure);
    return svg;
  }

  return { build, draw, gapWords, leanWords };
})();
