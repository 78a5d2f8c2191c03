// Staff: PIN login, session reset, settings. The CSRF token lives in memory only.
"use strict";

(() => {
  const $ = ms.$;
  let csrf = null;

  function say(id, text, isError) {
    $(id).textContent = text;
    $(id).classList.toggle("error", !!isError);
  }

  function showStaff(on) {
    $("login-card").hidden = on;
    $("staff-card").hidden = !on;
    if (on) loadSettings();
  }

  async function check() {
    const me = await ms.api("GET", "/api/staff/me");
    csrf = me.csrf_token;
    if (!me.pin_set) say("login-message", "No staff PIN is set: run `midstance set-pin` on the kiosk.", true);
    showStaff(me.staff);
  }

  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const data = await ms.api("POST", "/api/staff/login", { pin: $("pin").value });
      csrf = data.csrf_token;
      $("pin").value = "";
      say("login-message", "");
      showStaff(true);
    } catch (error) {
      say("login-message", error.message, true);
    }
  });

  $("reset").addEventListener("click", async () => {
    try {
      const data = await ms.api("POST", "/api/sessions/reset", undefined, csrf);
      say("reset-message", data.session_id == null
        ? "Reset sent (no session was running)."
        : `Reset sent: session ${data.session_id} ends now; a new one starts when the runner runs.`);
    } catch (error) {
      say("reset-message", error.message, true);
    }
  });

  $("logout").addEventListener("click", async () => {
    await ms.api("POST", "/api/staff/logout");
    csrf = null;
    showStaff(false);
  });

  async function loadSettings() {
    const data = await ms.api("GET", "/api/settings");
    const form = $("settings");
    form.replaceChildren();
    for (const [name, field] of Object.entries(data.fields)) {
      const label = document.createElement("label");
      label.htmlFor = "set-" + name;
      label.textContent = name.replaceAll("_", " ") + (field.unit ? ` (${field.unit})` : "");
      let input;
      if (field.choices) {
        input = document.createElement("select");
        for (const choice of field.choices) input.append(new Option(choice, choice));
      } else {
        input = document.createElement("input");
        input.type = "number";
        input.step = "any";
        input.min = field.min;
        input.max = field.max;
      }
      input.id = "set-" + name;
      input.name = name;
      input.value = data.values[name];
      const help = document.createElement("span");
      help.className = "help";
      help.textContent = field.help || "";
      form.append(label, input, help);
    }
    const save = document.createElement("button");
    save.type = "submit";
    save.textContent = "Save settings";
    form.append(save);
  }

  $("settings").addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    for (const input of $("settings").querySelectorAll("input, select")) {
      values[input.name] = input.type === "number" ? Number(input.value) : input.value;
    }
    try {
      await ms.api("PUT", "/api/settings", values, csrf);
      say("settings-message", "Saved; the kiosk applies them within a second.");
    } catch (error) {
      say("settings-message", error.message, true);
    }
  });

  check().catch((error) => say("login-message", error.message, true));
})();
