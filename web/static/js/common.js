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

  // Hip-over-ankle offset in leg lengths as a signed percentage ("-4%" = hip behind).
  offset(value) {
    return typeof value === "number" && isFinite(value)
      ? (value > 0 ? "+" : "") + Math.round(value * 100) + "%" : "–";
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

  // Follow the live event stream; EventSource reconnects by itself when it drops.
  follow(path, onLive, onConnection) {
    const source = new EventSource(path);
    source.addEventListener("live", (event) => onLive(JSON.parse(event.data)));
    source.addEventListener("open", () => onConnection && onConnection(true));
    source.addEventListener("error", () => onConnection && onConnection(false));
    return source;
  },
};
