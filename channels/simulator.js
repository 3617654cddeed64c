// The tenant simulator's page: pick a demo tenant, text TenantLine as them, and see what their phone receives.
// Every piece of text shown (tenant names, messages, replies) is set with textContent, never parsed as HTML.
"use strict";

(() => {
  const base = window.location.pathname.replace(/[^/]*$/, "");
  const POLL_MS = 1000;
  const byId = (id) => document.getElementById(id);
  const ui = {
    tenant: byId("tenant"), who: byId("who"), thread: byId("thread"), options: byId("options"),
    status: byId("status"), composer: byId("composer"), text: byId("text"), send: byId("send"), photo: byId("photo"),
  };
  const state = { tenants: new Map(), number: "", threads: new Map(), after: new Map(), polling: false };

  const say = (message) => { ui.status.textContent = message || ""; };

  async function call(path, options) {
    const answer = await fetch(base + path, options);
    let body = {};
    try { body = await answer.json(); } catch (error) { body = {}; }
    if (!answer.ok) throw new Error(body.error || `the server answered ${answer.status}`);
    return body;
  }

  function thread(number) {
    if (!state.threads.has(number)) state.threads.set(number, []);
    return state.threads.get(number);
  }

  function timeOf(iso) {
    const when = iso ? new Date(iso) : new Date();
    return Number.isNaN(when.getTime()) ? "" : when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function bubble(entry) {
    const item = document.createElement("div");
    item.className = `bubble ${entry.from === "me" ? "me" : "them"}${entry.pending ? " pending" : ""}`;
    if (entry.image) {
      const picture = document.createElement("img");
      picture.src = entry.image;
      picture.alt = "Photo sent";
      item.append(picture);
    }
    if (entry.text) item.append(document.createTextNode(entry.text));
    const time = document.createElement("span");
    time.className = "time";
    time.textContent = timeOf(entry.at);
    item.append(time);
    return item;
  }

  // Numbered options ("1. Yes") in the latest reply become tap-to-answer chips, as a phone's quick replies would.
  function showOptions(entries) {
    ui.options.replaceChildren();
    const last = entries[entries.length - 1];
    if (!last || last.from === "me" || !last.text) return;
    for (const line of last.text.split("\n")) {
      const found = /^\s*(\d{1,2})\.\s+(.+)$/.exec(line);
      if (!found) continue;
      const chip = document.createElement("button");
      chip.type = "button";
      chip.textContent = `${found[1]}. ${found[2]}`;
      chip.addEventListener("click", () => sendText(found[1]));
      ui.options.append(chip);
    }
  }

  function render() {
    const entries = state.number ? thread(state.number) : [];
    ui.thread.replaceChildren();
    if (!entries.length) {
      const empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = state.number ? "Say hello, or try \"my boiler is broken\"." : "Pick a tenant to start.";
      ui.thread.append(empty);
    }
    for (const entry of entries) ui.thread.append(bubble(entry));
    showOptions(entries);
    ui.thread.scrollTop = ui.thread.scrollHeight;
  }

  function describe(tenant) {
    ui.who.textContent = tenant
      ? `${tenant.display_number} · tenancy ${tenant.tenancy_reference} · ${tenant.postcode} · born ${tenant.date_of_birth}`
      : "";
  }

  async function loadTenants() {
    try {
      const found = await call("tenants");
      ui.tenant.replaceChildren();
      const prompt = new Option("Choose a demo tenant", "");
      ui.tenant.append(prompt);
      for (const tenant of found.tenants) {
        state.tenants.set(tenant.number, tenant);
        ui.tenant.append(new Option(`${tenant.name} (${tenant.display_number})`, tenant.number));
      }
      if (found.tenants.length) {
        ui.tenant.value = found.tenants[0].number;
        choose(found.tenants[0].number);
      }
    } catch (error) {
      say(`Could not load the demo tenants: ${error.message}`);
    }
  }

  function choose(number) {
    state.number = number;
    describe(state.tenants.get(number));
    ui.text.disabled = ui.send.disabled = !number;
    say("");
    render();
    poll();
  }

  async function poll() {
    const number = state.number;
    if (!number || state.polling) return;
    state.polling = true;
    try {
      const found = await call(`messages?number=${encodeURIComponent(number)}&after=${state.after.get(number) || 0}`);
      if (found.messages.length) {
        for (const message of found.messages) {
          thread(number).push({ from: "them", text: message.body, at: message.at });
          state.after.set(number, Math.max(state.after.get(number) || 0, message.id));
        }
        if (number === state.number) render();
      }
    } catch (error) {
      say(`Waiting for the phone network: ${error.message}`);
    } finally {
      state.polling = false;
    }
  }

  async function deliver(number, entry, request) {
    thread(number).push(entry);
    render();
    try {
      await request();
      entry.pending = false;
      say("");
    } catch (error) {
      entry.text = `${entry.text || ""}\n(not sent: ${error.message})`.trim();
    }
    if (number === state.number) render();
  }

  function sendText(text) {
    const number = state.number;
    const message = text.trim();
    if (!number || !message) return;
    deliver(number, { from: "me", text: message, pending: true }, () =>
      call("send", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ number, text: message }),
      }),
    );
  }

  function sendPhoto(file) {
    const number = state.number;
    if (!number || !file) return;
    const caption = ui.text.value.trim();
    ui.text.value = "";
    const entry = { from: "me", text: caption, image: URL.createObjectURL(file), pending: true };
    const query = `photo?number=${encodeURIComponent(number)}&caption=${encodeURIComponent(caption)}`;
    deliver(number, entry, () => call(query, { method: "POST", headers: { "Content-Type": file.type }, body: file }));
  }

  ui.tenant.addEventListener("change", () => choose(ui.tenant.value));
  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.text.value;
    ui.text.value = "";
    sendText(text);
  });
  ui.text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      ui.composer.requestSubmit();
    }
  });
  ui.photo.addEventListener("change", () => {
    sendPhoto(ui.photo.files[0]);
    ui.photo.value = "";
  });

  loadTenants();
  window.setInterval(poll, POLL_MS);
})();
