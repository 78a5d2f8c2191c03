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
