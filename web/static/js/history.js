// History: recent sessions, newest first, each opening its summary.
"use strict";

(() => {
  const $ = ms.$;
  let before = null;

  function row(s) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = "/sessions/" + s.id;
    const left = document.createElement("span");
    left.textContent = `#${s.id} · ${ms.when(s.started_at)}` + (s.ended_at ? "" : " · running");
    const right = document.createElement("span");
    right.textContent = `${s.steps} steps · ${ms.percent(s.good_share)} good`;
    a.append(left, right);
    li.append(a);
    return li;
  }

  async function load() {
    const list = $("sessions");
    try {
      const data = await ms.api("GET", "/api/sessions?limit=30" + (before ? "&before=" + before : ""));
      if (!before) list.replaceChildren();
      if (!data.sessions.length && !before) {
        const li = document.createElement("li");
        li.className = "muted";
        li.textContent = "No sessions yet.";
        list.append(li);
      }
      list.append(...data.sessions.map(row));
      before = data.next_before;
      $("more").hidden = !before;
    } catch (error) {
      list.replaceChildren(Object.assign(document.createElement("li"), { textContent: error.message }));
    }
  }

  $("more").addEventListener("click", load);
  load();
})();
