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
    if (on) {
      loadSettings().catch((error) => say("settings-message", error.message, true));
      showFault().catch(() => {});
    }
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

  // Reset takes two clicks: the first asks (in the page: the CSP-strict kiosk has no
  // window.confirm dialogs to rely on), the second sends.
  function asking(on) {
    $("reset-ask").hidden = !on;
    $("reset").hidden = on;
    if (on) $("reset-cancel").focus();
  }
  $("reset").addEventListener("click", () => {
    say("reset-message", "");
    asking(true);
  });
  $("reset-cancel").addEventListener("click", () => {
    asking(false);
    say("reset-message", "Not reset.");
  });
  $("reset-confirm").addEventListener("click", async () => {
    asking(false);
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

  // The values the form was filled with: only fields that differ from them are saved.
  let shown = {};

  // The server names a setting by its key ('offset_bad'): the page says its label instead
  // and marks that field, so staff see which box is wrong.
  let fields = {};
  function inWords(message) {
    let text = message;
    for (const [name, field] of Object.entries(fields)) {
      if (!text.includes(`'${name}'`)) continue;
      text = text.replaceAll(`setting '${name}'`, `'${name}'`).replaceAll(`'${name}'`, `“${field.label}”`);
      const input = $("set-" + name);
      if (input) input.setAttribute("aria-invalid", "true");
    }
    return text;
  }

  async function loadSettings() {
    const data = await ms.api("GET", "/api/settings");
    fields = data.fields;
    const form = $("settings");
    form.noValidate = true; // the server checks every value and says what is wrong in one line
    form.replaceChildren();
    shown = {};
    for (const [name, field] of Object.entries(data.fields)) {
      const label = document.createElement("label");
      label.htmlFor = "set-" + name;
      // Words and the unit from the one schema (common/settings.py), never the raw key.
      label.textContent = (field.label || name.replaceAll("_", " ")) + (field.unit ? ` (${field.unit})` : "");
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
      input.value = String(data.values[name]);
      shown[name] = input.value;
      const help = document.createElement("span");
      help.className = "help";
      help.id = "help-" + name;
      input.setAttribute("aria-describedby", help.id);
      const saved = data.sources[name] === "saved";
      const range = field.choices ? "" : ` (${field.min} to ${field.max}${field.unit ? " " + field.unit : ""})`;
      help.textContent = (field.help || "") + range +
        (saved ? ` · changed here (config file: ${data.config[name]})` : " · from the config file");
      form.append(label, input, help);
      if (saved) {
        const restore = document.createElement("button");
        restore.type = "button";
        restore.className = "restore";
        restore.dataset.name = name;
        restore.textContent = "Use the config value";
        restore.addEventListener("click", () => save({ [name]: null }));
        help.append(" ", restore);
      }
    }
    const submit = document.createElement("button");
    submit.type = "submit";
    submit.textContent = "Save settings";
    form.append(submit);
  }

  async function save(values) {
    try {
      await ms.api("PUT", "/api/settings", values, csrf);
      await loadSettings();
      say("settings-message", "Saved; the kiosk applies them within a second.");
    } catch (error) {
      for (const input of $("settings").querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
      say("settings-message", inWords(error.message), true);
    }
  }

  $("settings").addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    for (const input of $("settings").querySelectorAll("input, select")) {
      if (input.value === shown[input.name]) continue;
      const number = Number(input.value);
      // An emptied or unreadable field goes as typed, so the server names it (never 0 or null).
      values[input.name] = input.type === "number" && input.value.trim() !== "" && isFinite(number)
        ? number : input.value;
    }
    if (!Object.keys(values).length) {
      say("settings-message", "Nothing changed.");
      return;
    }
    await save(values);
  });

  // A kiosk fault in full (runners only see that staff have been told).
  async function showFault() {
    const live = await ms.api("GET", "/api/live");
    $("fault-detail").hidden = !live.fault_detail;
    $("fault-detail").textContent = live.fault_detail ? "Kiosk fault: " + live.fault_detail : "";
  }

  check().catch((error) => say("login-message", error.message, true));
})();
