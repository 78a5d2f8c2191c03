// Live page: big numbers, the LED mirror and the cue, from the live event stream.
"use strict";

(() => {
  const $ = ms.$;
  // The LED mirror in words and a mark too, never colour alone.
  const LED_NAMES = {
    good: "good", warn: "check form", bad: "fix form", no_runner: "no runner",
    not_judging: "not judging", fault: "fault: tell the staff", off: "off",
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

  // The runner's own step-rate target and how far the live cadence is from it.
  function targetWords(target, cadence) {
    if (!target) return "";
    const pct = `${ms.num(target.pct, target.pct % 1 ? 1 : 0)} %`;
    if (target.target_spm == null) {
      return `Step-rate target: your own rate + ${pct}, set after 30 s of steady running.`;
    }
    const base = `Step-rate target ${ms.num(target.target_spm)} (your settled ${ms.num(target.settled_spm)} + ${pct})`;
    if (target.distance_spm == null) return base + ".";
    const gap = Math.round(Math.abs(target.distance_spm));
    return base + `: you are at ${ms.num(cadence)}, ` +
      (target.below ? `${gap} under: quicker, lighter steps.` : "on target.");
  }

  let lastLive = null;
  function show(live) {
    lastLive = live;
    ms.showUnits();
    showFigure(live.midstance || null);
    $("live").dataset.state = live.state || "offline";
    const led = live.led || "off";
    $("led").className = "led led-" + led;
    const problems = ms.problems(live);
    const reason = problems.map((p) => p.message).join("; ");
    // The LED mirror says its state in words too (not colour only), and why it is not judging.
    const ledText = (LED_NAMES[led] || led) + (led === "not_judging" && reason ? ": " + reason : "");
    $("led").setAttribute("aria-label", "LED: " + ledText);
    const mark = ms.VERDICT_MARKS[led];
    $("led_text").textContent = (mark ? mark + " " : "") + ledText;
    $("capture").hidden = !problems.length;
    $("capture_text").textContent = reason;
    $("cue").textContent = live.cue || "";
    // Said when the recent steps show a trend (over-leaning), not on one step.
    $("trend_cue").hidden = !live.trend_cue;
    $("trend_cue").textContent = live.trend_cue || "";
    const target = live.cadence_target || null;
    $("cadence_target").hidden = !target;
    $("cadence_target").dataset.below = target && target.below ? "1" : "";
    $("cadence_target_text").textContent = targetWords(target, live.cadence_spm);
    $("cadence_spm").textContent = ms.num(live.cadence_spm);
    $("lean_deg").textContent = ms.num(live.lean_deg, 1);
    $("hip_ankle_offset").textContent = ms.offset(live.hip_ankle_offset);
    $("good_share").textContent = ms.percent(live.good_share);
    $("steps").textContent = ms.num(live.steps);
    $("duration_s").textContent = ms.duration(live.duration_s);
    sensing = (live.state || "offline") !== "offline";
    $("state").textContent = sensing ? live.state.replace("_", " ") : "kiosk not sensing";
    // A session is named only while there is one; the stream state says "live" only while
    // the kiosk senses (an open stream to an idle kiosk is "connected", nothing is live).
    $("session_part").hidden = live.session_id == null;
    $("session_word").textContent = sensing ? "session" : "last session";
    $("session_id").textContent = live.session_id == null ? "–" : live.session_id;
    showConnection();
    $("session_link").href = live.session_id == null ? "/history" : "/sessions/" + live.session_id;
    const recent = $("recent");
    const shown = (live.recent_steps || []).slice(-12);
    recent.replaceChildren(...shown.map((step) => {
      const dot = document.createElement("li");
      // Colour, mark and words: a tick, "!" or a cross per verdict, a dash when not judged.
      const verdict = step.verdict || "unjudged";
      dot.className = verdict;
      dot.dataset.verdict = verdict;
      dot.textContent = ms.VERDICT_MARKS[verdict];
      if (step.verdict) {
        const why = (step.reasons || []).map(ms.reasonWords).join(", ");
        dot.title = `${step.leg} foot: ${step.verdict}` + (why ? ` (${why})` : "");
      } else {
        const why = (step.problems || []).map((c) => c.replaceAll("_", " ")).join(", ");
        dot.title = `${step.leg} foot: not judged` + (why ? ` (${why})` : "");
      }
      dot.setAttribute("aria-label", dot.title);
      return dot;
    }));
    // Beside the dots, in words: what warned most of them.
    const main = ms.mainReason(shown);
    $("recent_why").textContent = main
      ? `Why: ${ms.reasonWords(main.code)} (${main.n} of the last ${main.judged} judged steps)` : "";
    $("recent_why").dataset.reason = main ? main.code : "";
  }

  const CONNECTION = {
    live: "live",
    reconnecting: "reconnecting",
    polling: "reconnecting · updating every 2 s",
  };
  let sensing = false, connection = null;
  function showConnection() {
    if (!connection) return;
    $("conn").textContent = connection === "live" && !sensing ? "connected" : CONNECTION[connection];
    $("conn").dataset.state = connection;
  }
  ms.explainAll();
  // A new height (or none): every length again in the new unit, the figure redrawn.
  ms.heightForm($("height"), () => {
    figureKey = null;
    if (lastLive) show(lastLive);
    else ms.showUnits();
  });
  ms.follow("/api/live/stream", show, (state) => {
    connection = state;
    showConnection();
  });
})();
