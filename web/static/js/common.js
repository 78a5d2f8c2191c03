// Shared helpers for the Midstance pages (no framework; the kiosk serves every byte).
"use strict";

const ms = {
  $: (id) => document.getElementById(id),

  // A number for display: fixed decimals, "–" when nothing is measured.
  num(value, digits = 0) {
    return typeof value === "number" && isFinite(value) ? value.toFixed(digits) : "–";
  },

  percent(share) {
    return typeof share === "number" && isFinite(share) ? Math.round(share * 100) + "%" : "–";
  },

  // Seconds as m:ss (or h:mm:ss).
  duration(seconds) {
    if (typeof seconds !== "number" || !isFinite(seconds)) return "–";
    const s = Math.floor(seconds % 60), m = Math.floor(seconds / 60) % 60, h = Math.floor(seconds / 3600);
    const pad = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
  },

  // Leg length (hip to ankle, our unit "L": thigh + shank, core/metrics.py leg_length) per
  // body height: thigh 0.245 H + leg 0.246 H, Winter, Biomechanics and Motor Control of Human
  // Movement (4th ed., 2009), fig. 4.1 segment lengths (greater trochanter 0.530 H minus
  // lateral malleolus 0.039 H gives the same 0.491 H).
  LEG_PER_HEIGHT: 0.491,
  HEIGHT_KEY: "midstance.height_cm",
  HEIGHT_MIN: 100,
  HEIGHT_MAX: 230,

  // The runner's height in cm, kept in this browser only (localStorage; never sent to the
  // kiosk), or null. Storage may be off (private mode): then there is no height.
  height() {
    let raw = null;
    try {
      raw = localStorage.getItem(ms.HEIGHT_KEY);
    } catch (error) {
      return null;
    }
    const cm = Number(raw);
    return raw !== null && isFinite(cm) && cm >= ms.HEIGHT_MIN && cm <= ms.HEIGHT_MAX ? cm : null;
  },

  // Keep (or with null forget) the height; returns why not in one line, or null when kept.
  setHeight(text) {
    try {
      if (text === null) {
        localStorage.removeItem(ms.HEIGHT_KEY);
        return null;
      }
      const cm = Number(String(text).trim().replace(",", "."));
      if (String(text).trim() === "" || !isFinite(cm)) return "Enter your height in centimetres, e.g. 175.";
      if (cm < ms.HEIGHT_MIN || cm > ms.HEIGHT_MAX) {
        return `Height must be ${ms.HEIGHT_MIN} to ${ms.HEIGHT_MAX} cm, got ${text}.`;
      }
      localStorage.setItem(ms.HEIGHT_KEY, String(Math.round(cm)));
      return null;
    } catch (error) {
      return "This browser does not keep data (private mode?): the height cannot be kept.";
    }
  },

  // The unit lengths in leg lengths are shown in: cm when a height is kept, else % of the
  // leg. {unit, short, scale} with value_shown = leg_lengths * scale.
  lengthUnit() {
    const cm = ms.height();
    return cm
      ? { unit: "cm", short: " cm", scale: cm * ms.LEG_PER_HEIGHT, height: cm }
      : { unit: "% of leg length", short: "%", scale: 100, height: null };
  },

  // A length in leg lengths in the runner's unit, rounded to a whole cm or %: "+4 cm", "-3%".
  length(value, signed = true) {
    if (typeof value !== "number" || !isFinite(value)) return "–";
    const u = ms.lengthUnit(), n = Math.round(value * u.scale);
    return (signed && n > 0 ? "+" : "") + (n === 0 ? 0 : n) + u.short;
  },

  // Hip-over-ankle offset in leg lengths, signed, in the runner's unit ("-4%" = hip behind).
  offset(value) {
    return ms.length(value, true);
  },

  // Name the length unit in every element marked data-unit="length".
  showUnits(root = document) {
    const u = ms.lengthUnit();
    for (const el of root.querySelectorAll('[data-unit="length"]')) el.textContent = u.height ? "cm" : "% of leg length";
  },

  // Each verdict as a mark and a word as well as a colour (dots, LED mirror, legends).
  VERDICT_MARKS: { good: "✓", warn: "!", bad: "✕", unjudged: "–" },

  // The height field (a <form data-height>): fills it from the kept height, keeps or clears it,
  // and calls onChange() so the page redraws its lengths in the new unit.
  heightForm(form, onChange) {
    const input = form.querySelector("input"), message = form.querySelector("[role=status]");
    const clear = form.querySelector("button[data-action=clear]");
    const showUnit = () => {
      const u = ms.lengthUnit();
      input.value = u.height ? String(u.height) : "";
      clear.hidden = !u.height;
      form.dataset.unit = u.height ? "cm" : "percent";
    };
    const done = (why) => {
      message.textContent = why || (ms.height()
        ? `Hip vs ankle in cm for a ${ms.height()} cm runner (kept on this phone only).`
        : "Hip vs ankle in % of your leg length.");
      message.classList.toggle("error", !!why);
      if (!why) {
        showUnit();
        onChange();
      }
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      done(ms.setHeight(input.value));
    });
    clear.addEventListener("click", () => done(ms.setHeight(null)));
    showUnit();
  },

  // The explanations (web/explain.py), read once from the page's JSON data block.
  texts() {
    if (!ms._texts) {
      const block = document.getElementById("ms-texts");
      ms._texts = block ? JSON.parse(block.textContent) : { metrics: {}, reasons: {} };
    }
    return ms._texts;
  },

  // A verdict reason in words ("hip behind the ankle").
  reasonWords(code) {
    return ms.texts().reasons[code] || String(code).replaceAll("_", " ");
  },

  // The reason that warned most of these steps (ties: the more important one, as the core
  // orders each step's reasons): {code, n, judged}, or null when none warned.
  mainReason(steps) {
    const counts = new Map();
    let judged = 0;
    for (const step of steps) {
      if (!step.verdict) continue;
      judged += 1;
      for (const code of step.reasons || []) counts.set(code, (counts.get(code) || 0) + 1);
    }
    const order = Object.keys(ms.texts().reasons);
    const rank = (c) => (order.includes(c) ? order.indexOf(c) : order.length);
    let best = null;
    for (const [code, n] of counts) {
      if (!best || n > best.n || (n === best.n && rank(code) < rank(best.code))) best = { code, n, judged };
    }
    return best;
  },

  // What a number means, one tap away: a <details> whose summary is a "?" (no script needed
  // to open it, so it works under the strict CSP and with a screen reader).
  explain(key) {
    const m = ms.texts().metrics[key];
    if (!m) return null;
    const details = document.createElement("details");
    details.className = "explain";
    details.dataset.explain = key;
    const summary = document.createElement("summary");
    summary.textContent = "?";
    summary.setAttribute("aria-label", `What does ${m.label} mean?`);
    const text = document.createElement("p");
    text.textContent = `${m.label} (${m.unit}): ${m.text}`;
    details.append(summary, text);
    return details;
  },

  // Add the "?" explanation to every element marked data-metric="<key>" that has none yet.
  explainAll(root = document) {
    for (const el of root.querySelectorAll("[data-metric]")) {
      if (el.querySelector(":scope > details.explain")) continue;
      const details = ms.explain(el.dataset.metric);
      if (details) el.append(details);
    }
  },

  // Every number explained, as a list of toggles (label and unit in the summary).
  glossary(el) {
    el.replaceChildren(...Object.entries(ms.texts().metrics).map(([key, m]) => {
      const details = document.createElement("details");
      details.className = "explain glossary-item";
      details.dataset.explain = key;
      const summary = document.createElement("summary");
      summary.textContent = `${m.label} (${m.unit})`;
      const text = document.createElement("p");
      text.textContent = m.text;
      details.append(summary, text);
      return details;
    }));
  },

  when(unix) {
    return typeof unix === "number" ? new Date(unix * 1000).toLocaleString() : "–";
  },

  // The capture problems in force in a live state ([] when the view is fine or unknown).
  problems(live) {
    const capture = live && live.capture;
    return capture && Array.isArray(capture.problems) ? capture.problems : [];
  },

  // fetch() a JSON API; rejects with the server's message on an error status.
  async api(method, path, body, csrf) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (csrf) headers["X-CSRF-Token"] = csrf;
    const response = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(data.message || `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return data;
  },

  // Follow the live event stream. EventSource retries by itself when a stream drops, but
  // gives up for good on an error status (503 when the kiosk has too many streams, 429 when
  // this device has): then poll the same state from /api/live meanwhile and reopen the stream
  // after a growing, jittered wait, so a full kiosk never freezes the page.
  // onConnection gets "live", "reconnecting" or "polling".
  follow(path, onLive, onConnection) {
    const POLL_MS = 2000, FIRST_RETRY_MS = 1000, MAX_RETRY_MS = 5000;
    const pollPath = path.replace("/api/live/stream", "/api/live");
    const tell = (state) => onConnection && onConnection(state);
    let delay = FIRST_RETRY_MS, pollTimer = null;

    async function poll() {
      try {
        onLive(await ms.api("GET", pollPath));
      } catch (error) {
        // The kiosk is unreachable too: keep trying at the same pace.
      }
      if (pollTimer !== null) pollTimer = setTimeout(poll, POLL_MS);
    }

    function open() {
      const source = new EventSource(path);
      source.addEventListener("live", (event) => onLive(JSON.parse(event.data)));
      source.addEventListener("open", () => {
        delay = FIRST_RETRY_MS;
        clearTimeout(pollTimer);
        pollTimer = null;
        tell("live");
      });
      source.addEventListener("error", () => {
        if (source.readyState !== EventSource.CLOSED) {
          tell("reconnecting"); // the browser retries by itself
          return;
        }
        source.close();
        if (pollTimer === null) {
          pollTimer = 0;
          poll();
        }
        tell("polling");
        // Jitter, so the phones refused together do not all come back at the same moment.
        setTimeout(open, delay * (0.5 + Math.random()));
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      });
    }

    open();
  },
};
