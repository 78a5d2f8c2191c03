// Live page: big numbers, the LED mirror and the cue, from the live event stream.
"use strict";

(() => {
  const $ = ms.$;
  const LED_NAMES = {
    good: "good step", warn: "almost", bad: "needs work", no_runner: "no runner",
    not_judging: "not judging", fault: "fault", off: "off",
  };

  // The latest judged step's midstance, redrawn only when a new step arrives.
  let figureKey = null;
  function showFigure(fig) {
    const key = fig ? `${fig.t}|${fig.leg}` : null;
    if (key === figureKey) return;
    figureKey = key;
    const title = fig ? `Your last step (${fig.leg} foot)` : "";
    msFigure.draw($("live_figure"), fig, title, fig ? `${title}: ${msFigure.gapWords(fig.hip_ankle_offset)}` : "",
      "Your midstance is drawn here after the first judged step.");
  }

  function show(live) {
    showFigure(live.midstance || null);
    $("live").dataset.state = live.state || "offline";
    const led = live.led || "off";
    $("led").className = "led led-" + led;
    const problems = ms.problems(live);
    const reason = problems.map((p) => p.message).join("; ");
    // The LED mirror says its state in words too (not colour only), and why it is not judging.
    const ledText = (LED_NAMES[led] || led) + (led === "not_judging" && reason ? ": " + reason : "");
    $("led").setAttribute("aria-label", "LED: " + ledText);
    $("led_text").textContent = ledText;
    $("capture").hidden = !problems.length;
    $("capture_text").textContent = reason;
    $("cue").textContent = live.cue || "";
    $("cadence_spm").textContent = ms.num(live.cadence_spm);
    $("lean_deg").textContent = ms.num(live.lean_deg, 1);
    $("hip_ankle_offset").textContent = ms.offset(live.hip_ankle_offset);
    $("good_share").textContent = ms.percent(live.good_share);
    $("steps").textContent = ms.num(live.steps);
    $("duration_s").textContent = ms.duration(live.duration_s);
    $("state").textContent = (live.state || "offline").replace("_", " ");
    $("session_id").textContent = live.session_id == null ? "–" : live.session_id;
    $("session_link").href = live.session_id == null ? "/history" : "/sessions/" + live.session_id;
    const recent = $("recent");
    recent.replaceChildren(...(live.recent_steps || []).slice(-12).map((step) => {
      const dot = document.createElement("li");
      if (step.verdict) {
        dot.className = step.verdict;
        dot.title = `${step.leg} foot: ${step.verdict}`;
      } else {
        // Timed but not judged: a grey ring with a dash, and why in words.
        const why = (step.problems || []).map((c) => c.replaceAll("_", " ")).join(", ");
        dot.className = "unjudged";
        dot.title = `${step.leg} foot: not judged` + (why ? ` (${why})` : "");
        dot.textContent = "–";
      }
      dot.setAttribute("aria-label", dot.title);
      return dot;
    }));
  }

  const CONNECTION = {
    live: "live",
    reconnecting: "reconnecting",
    polling: "reconnecting · updating every 2 s",
  };
  ms.follow("/api/live/stream", show, (state) => {
    $("conn").textContent = CONNECTION[state];
    $("conn").dataset.state = state;
  });
})();
