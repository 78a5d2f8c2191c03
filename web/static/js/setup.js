// Setup view: the live skeleton on a canvas, to aim the camera (never the video).
"use strict";

(() => {
  const $ = ms.$;
  const canvas = $("skeleton");
  const edges = JSON.parse(canvas.dataset.edges);
  const ctx = canvas.getContext("2d");

  // What to change so the kiosk can judge: the capture problems in force, in words.
  function showProblems(live) {
    const list = $("problems");
    const problems = ms.problems(live);
    let lines;
    if (live.state === "offline") {
      lines = ["The kiosk is not sensing: start it to check the view."];
    } else if (problems.length) {
      lines = problems.map((p) => "Not judging: " + p.message);
    } else {
      lines = ["The view is fine: nothing stops the kiosk from judging."];
    }
    list.classList.toggle("ok", live.state !== "offline" && !problems.length);
    list.replaceChildren(...lines.map((text, i) => {
      const li = document.createElement("li");
      li.textContent = text;
      if (problems[i]) li.dataset.code = problems[i].code;
      return li;
    }));
  }

  function draw(live) {
    $("state").textContent = (live.state || "offline").replace("_", " ");
    $("facing").textContent = live.facing || "–";
    $("fps").textContent = ms.num(live.fps);
    showProblems(live);
    const sk = live.skeleton;
    ctx.fillStyle = "#0b0e11";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!sk || !sk.xy) return;
    if (canvas.width !== sk.width || canvas.height !== sk.height) {
      canvas.width = sk.width;
      canvas.height = sk.height;
    }
    const seen = (i) => sk.xy[i] && (sk.vis ? sk.vis[i] > 0.3 : true);
    ctx.lineWidth = Math.max(2, sk.width / 150);
    ctx.strokeStyle = "#4aa3ff";
    for (const [a, b] of edges) {
      if (!seen(a) || !seen(b)) continue;
      ctx.beginPath();
      ctx.moveTo(sk.xy[a][0], sk.xy[a][1]);
      ctx.lineTo(sk.xy[b][0], sk.xy[b][1]);
      ctx.stroke();
    }
    ctx.fillStyle = "#2ecc71";
    sk.xy.forEach((p, i) => {
      if (!seen(i)) return;
      ctx.beginPath();
      ctx.arc(p[0], p[1], ctx.lineWidth * 1.5, 0, 2 * Math.PI);
      ctx.fill();
    });
  }

  ms.follow("/api/live/stream?skeleton=1", draw);
})();
