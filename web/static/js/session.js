// Session summary: numbers, verdict distribution and charts over time (uPlot, vendored).
"use strict";

(() => {
  const $ = ms.$;
  const id = $("session").dataset.sessionId;
  const charts = {};
  const CHARTS = [
    ["chart-lean", "lean_deg", "lean (deg)", "#4aa3ff"],
    ["chart-offset", "hip_ankle_offset", "hip over ankle", "#2ecc71"],
    ["chart-cadence", "cadence_spm", "cadence (steps/min)", "#f5b731"],
  ];
  // Summary figures worth a big number, in order, with how to show them.
  const FIGURES = [
    ["cadence_spm", "steps/min", (v) => ms.num(v)],
    ["settled_cadence_spm", "settled steps/min", (v) => ms.num(v)],
    ["lean_deg", "lean, deg", (v) => ms.num(v, 1)],
    ["hip_ankle_offset", "hip over ankle", ms.offset],
    ["good_share", "good steps", ms.percent],
    ["steps", "steps", (v) => ms.num(v)],
    ["duration_s", "time", ms.duration],
  ];

  // A summary value may be a number or {median, ...}; show the middle value.
  const central = (v) => (v && typeof v === "object" ? (v.median ?? v.mean ?? null) : v);

  function figure(value, label, key) {
    const div = document.createElement("div");
    div.className = "num";
    div.dataset.metric = key;
    const span = document.createElement("span");
    span.className = "value";
    span.textContent = value;
    const small = document.createElement("span");
    small.className = "label";
    small.textContent = label;
    div.append(span, small);
    return div;
  }

  // Lengths (leg lengths in the API) are charted in the runner's unit: cm or % of leg.
  function chart(elementId, key, label, colour, series) {
    const el = $(elementId);
    let values = series[key] || [];
    if (key === "hip_ankle_offset") {
      const u = ms.lengthUnit();
      values = values.map((v) => (typeof v === "number" ? +(v * u.scale).toFixed(2) : v));
      label = `${label} (${u.unit})`;
    }
    const data = [series.t || [], values];
    const made = charts[elementId];
    if (made && made.label === label) {
      made.plot.setData(data);
      return;
    }
    if (made) made.plot.destroy(); // the unit changed: a new axis label
    const opts = {
      width: Math.max(el.clientWidth, 280), height: 200,
      scales: { x: { time: false } },
      axes: [{ label: "seconds", stroke: "#9aa7b2" }, { stroke: "#9aa7b2" }],
      series: [{ label: "t" }, { label, stroke: colour, width: 2, spanGaps: true, points: { show: false } }],
    };
    el.dataset.unit = key === "hip_ankle_offset" ? ms.lengthUnit().unit : "";
    charts[elementId] = { label, plot: new uPlot(opts, data, el) };
  }

  let lastReport = null, lastFigures = null;
  async function load() {
    let report;
    try {
      report = await ms.api("GET", `/api/sessions/${id}?steps=0`);
    } catch (error) {
      $("when").textContent = error.message;
      return;
    }
    lastReport = report;
    render(report);
    await figures();
    if (!report.session.ended_at) setTimeout(load, 5000);
  }

  function render(report) {
    ms.showUnits();
    const s = report.session, summary = report.summary || {};
    $("when").textContent = `${ms.when(s.started_at)} · ` +
      (s.ended_at ? `ended (${s.end_reason})` : "running");
    const merged = { ...summary, steps: s.steps, good_share: s.good_share };
    $("summary").replaceChildren(...FIGURES.map(([key, label, show]) =>
      figure(show(central(merged[key])), label, key)));
    ms.explainAll($("summary"));
    const v = report.verdicts, unjudged = s.unjudged || 0;
    const judged = v.good + v.warn + v.bad, total = judged + unjudged;
    for (const name of ["good", "warn", "bad", "unjudged"]) {
      const n = name === "unjudged" ? unjudged : v[name];
      $("bar-" + name).style.width = total ? (100 * n / total) + "%" : "0";
    }
    $("verdict-legend").textContent =
      `good ${v.good} · warn ${v.warn} · bad ${v.bad}` +
      (unjudged ? ` · not judged ${unjudged}` : "") + (total ? "" : " (no steps yet)");
    // Why steps were not judged: the capture problems that stopped them, most frequent first.
    const why = Object.keys(summary.unjudged_problems || {}).map((c) => c.replaceAll("_", " "));
    $("unjudged-note").hidden = !unjudged;
    $("unjudged-note").textContent = !unjudged ? "" :
      (judged ? `${unjudged} steps timed but not judged` : "No step judged: the camera view did not allow it") +
      (why.length ? ` (${why.join(", ")}).` : ".") + " The installer can check the view on the Setup page.";
    // Why steps warned, in words: each reason with how many judged steps it warned.
    const reasons = Object.entries(summary.reasons || {});
    $("reasons-note").hidden = !reasons.length;
    $("reasons-note").dataset.reason = reasons.length ? reasons[0][0] : "";
    $("reasons-note").textContent = !reasons.length ? "" : "Why steps warned: " +
      reasons.map(([code, n]) => `${ms.reasonWords(code)} (${n} of ${judged} judged steps)`).join("; ") + ".";
    for (const [elementId, key, label, colour] of CHARTS) {
      chart(elementId, key, label, colour, report.series || {});
    }
  }

  // The typical midstance (median over the judged steps) beside the best and worst step.
  async function figures() {
    let m;
    try {
      m = await ms.api("GET", `/api/sessions/${id}/midstance`);
    } catch (error) {
      $("figure-typical").textContent = error.message;
      return;
    }
    lastFigures = m;
    drawFigures(m);
  }

  function drawFigures(m) {
    const none = "No judged step to draw yet.";
    msFigure.draw($("figure-typical"), m, "Typical midstance",
      `Typical: median of ${m.steps} judged steps`, none);
    const step = (f) => f ? `${f.leg} foot at ${ms.num(f.contact_t, 1)} s` : "";
    msFigure.draw($("figure-best"), m.best, "Best step",
      `Best: hip furthest forward (${step(m.best)})`, "");
    msFigure.draw($("figure-worst"), m.worst, "Worst step",
      `Worst: hip ${m.worst && m.worst.hip_ankle_offset < 0 ? "furthest back" : "least far forward"} (${step(m.worst)})`, "");
  }

  ms.glossary($("glossary"));
  // A new height (or none): the numbers, the chart and the figures again in the new unit.
  ms.heightForm($("height"), () => {
    if (lastReport) render(lastReport);
    if (lastFigures) drawFigures(lastFigures);
    ms.showUnits();
  });
  load();
})();
