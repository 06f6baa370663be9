// The trainer page: a plain client of isletflow's public HTTP API (nothing private).
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "isletflow-token";
let current = null;          // the last SessionView the server sent
let actionSchemas = {};      // action name -> JSON Schema of its data
let selected = null;         // the action whose form is open

function requestHeaders() {
  const headers = { "Content-Type": "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = "Bearer " + token;
  return headers;
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method, headers: requestHeaders(),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    $("auth").hidden = false;
    throw new Error("This server needs a token.");
  }
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  return { status: response.status, data };
}

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  return node;
}

// "2026-03-02T22:00:00Z" -> "2026-03-02 22:00 UTC" (the server's times are UTC)
function when(iso) { return iso.slice(0, 16).replace("T", " ") + " UTC"; }

function notice(text) { $("notice").textContent = text || ""; }

function problemsText(data) {
  if (data && Array.isArray(data.problems)) {
    return data.problems.map((p) => `${p.location}: ${p.rule}`).join("; ");
  }
  return (data && data.detail) || String(data);
}

// -- Rendering a session ------------------------------------------------------------------

function render(view) {
  current = view;
  $("start").hidden = true;
  $("session").hidden = false;
  history.replaceState(null, "", "#session=" + encodeURIComponent(view.id));
  $("state").textContent = view.state;
  $("phase").textContent = view.phase;
  $("clock").textContent = when(view.now);
  $("since").textContent = view.since_cross_clamp;
  $("version").textContent = String(view.version);
  renderOutcome(view.outcome);
  renderDeadlines(view.deadlines);
  renderActions(view.allowed, view.terminal);
  renderRecord(view.record);
  refreshTimeline();
}

function renderOutcome(outcome) {
  const node = $("outcome");
  node.hidden = !outcome;
  node.className = outcome ? outcome.status : "";
  if (outcome) {
    const code = outcome.code ? ` (${outcome.code})` : "";
    node.textContent = `Outcome: ${outcome.status}${code} at ${when(outcome.at)}`;
  }
}

function renderDeadlines(deadlines) {
  const list = $("deadlines");
  list.replaceChildren();
  if (!deadlines.length) list.append(el("li", "No deadline is running."));
  for (const d of deadlines) {
    const item = el("li", `${d.name.replaceAll("_", " ")}: ${d.time_left} left (due ${when(d.due)}; aborts as ${d.code})`,
      { "data-deadline": d.name });
    if (d.seconds_left < 3600) item.className = "soon";
    list.append(item);
  }
}

function renderActions(allowed, terminal) {
  const list = $("actions");
  list.replaceChildren();
  if (terminal) list.append(el("li", "The case has ended: no action is possible."));
  for (const a of allowed) {
    const item = el("li");
    const button = el("button", a.action.replaceAll("_", " "), { type: "button", "data-action": a.action });
    if (!a.accepted) button.className = "blocked";
    if (a.action === selected) button.classList.add("selected");
    button.addEventListener("click", () => openForm(a.action));
    item.append(button);
    const reasons = [...a.failures.map((f) => f.message), ...a.warnings.map((w) => "Warning: " + w.message)];
    if (reasons.length) {
      const ul = el("ul", null, { class: "reasons" });
      for (const r of reasons) ul.append(el("li", r));
      item.append(ul);
    }
    list.append(item);
  }
  if (selected && !allowed.some((a) => a.action === selected)) closeForm();
}

function renderRecord(record) {
  const list = $("record");
  list.replaceChildren();
  for (const [key, value] of Object.entries(record)) {
    if (value === null || (Array.isArray(value) && !value.length)) continue;
    list.append(el("dt", key.replaceAll("_", " ")));
    list.append(el("dd", typeof value === "object" ? JSON.stringify(value) : String(value)));
  }
}

async function refreshTimeline() {
  if (!current) return;
  const { status, data } = await api("GET", `/api/sessions/${current.id}/timeline.txt`);
  if (status === 200) $("timeline").textContent = data;
}

// -- The form for an action's data, built from its JSON Schema ------------------------------

function resolve(prop, defs) {
  let optional = false;
  if (prop.anyOf) {
    const real = prop.anyOf.filter((p) => p.type !== "null");
    optional = real.length < prop.anyOf.length;
    prop = real[0] || {};
  }
  if (prop.$ref) prop = defs[prop.$ref.split("/").pop()];
  return { prop, optional };
}

function fieldFor(name, raw, required, defs) {
  const { prop, optional } = resolve(raw, defs);
  const wrap = el("div", null, { class: "field" });
  const label = el("label", name.replaceAll("_", " ") + (required && !optional ? " *" : ""));
  wrap.append(label);
  if (prop.type === "array") {
    const { prop: item } = resolve(prop.items || {}, defs);
    for (const option of item.enum || []) {
      const box = el("input", null, { type: "checkbox", name, value: option, "data-kind": "array" });
      const text = el("label", option);
      text.prepend(box);
      wrap.append(text);
    }
    return wrap;
  }
  let input;
  if (prop.enum) {
    input = el("select", null, { name, "data-kind": "string" });
    input.append(el("option", "", { value: "" }));
    for (const option of prop.enum) input.append(el("option", option, { value: option }));
  } else if (prop.type === "boolean") {
    input = el("input", null, { type: "checkbox", name, "data-kind": "boolean" });
  } else if (prop.type === "number" || prop.type === "integer") {
    input = el("input", null, { type: "number", step: "any", name, "data-kind": "number" });
  } else {
    input = el("input", null, { type: "text", name, "data-kind": "string" });
  }
  if (raw.description || prop.description) input.title = raw.description || prop.description;
  label.setAttribute("for", "field-" + name);
  input.id = "field-" + name;
  wrap.append(input);
  return wrap;
}

function openForm(action) {
  selected = action;
  const schema = actionSchemas[action] || { properties: {} };
  const fields = $("action-fields");
  fields.replaceChildren();
  const required = new Set(schema.required || []);
  for (const [name, prop] of Object.entries(schema.properties || {})) {
    fields.append(fieldFor(name, prop, required.has(name), schema.$defs || {}));
  }
  $("action-title").textContent = action.replaceAll("_", " ");
  $("action-form").hidden = false;
  $("action-form").dataset.action = action;
  for (const b of document.querySelectorAll("#actions button")) {
    b.classList.toggle("selected", b.dataset.action === action);
  }
}

function closeForm() {
  selected = null;
  $("action-form").hidden = true;
}

function formData() {
  const data = {};
  for (const input of $("action-fields").querySelectorAll("[name]")) {
    const kind = input.dataset.kind;
    if (kind === "array") {
      if (!(input.name in data)) data[input.name] = [];
      if (input.checked) data[input.name].push(input.value);
    } else if (kind === "boolean") {
      data[input.name] = input.checked;
    } else if (input.value !== "") {
      data[input.name] = kind === "number" ? Number(input.value) : input.value;
    }
  }
  for (const [key, value] of Object.entries(data)) {
    if (Array.isArray(value) && !value.length) delete data[key];
  }
  return data;
}

// -- Changing the session -------------------------------------------------------------------

function showVerdict(text, kind) {
  const node = $("verdict");
  node.textContent = text;
  node.className = kind || "";
}

async function change(path, body) {
  const { status, data } = await api("POST", `/api/sessions/${current.id}/${path}`, body);
  if (status === 200) {
    notice("");
    render(data.session);
    return data;
  }
  if (status === 409) {
    notice("Someone acted on this case first; this is where it stands now. Nothing you sent was done.");
    if (data.session) render(data.session);
    return null;
  }
  showVerdict("Not sent: " + problemsText(data), "refused");
  return null;
}

async function doAction(event) {
  event.preventDefault();
  const action = $("action-form").dataset.action;
  const body = { action, expected_version: current.version, data: formData() };
  const after = $("after").value.trim();
  if (after) body.after = after;
  const result = await change("act", body);
  if (!result) return;
  if (result.accepted) {
    const warnings = result.warnings.map((w) => " Warning: " + w.message).join("");
    showVerdict(`Done: ${action.replaceAll("_", " ")}.${warnings}`, "accepted");
    $("after").value = "";
    closeForm();
  } else {
    showVerdict(`Refused: ${action.replaceAll("_", " ")}. ` + result.failures.map((f) => f.message).join(" "), "refused");
  }
}

async function advance(event) {
  event.preventDefault();
  const by = $("advance-by").value.trim();
  const result = await change("advance", { by, expected_version: current.version });
  if (result) {
    const fired = result.events.filter((e) => e.kind === "deadline").map((e) => e.code);
    showVerdict(fired.length ? `Time passed: ${by}. Deadline passed: ${fired.join(", ")}.` : `Time passed: ${by}.`,
      fired.length ? "refused" : "accepted");
  }
}

// -- Starting -------------------------------------------------------------------------------

async function startSession() {
  const { status, data } = await api("POST", "/api/sessions", { preset: $("preset").value });
  if (status === 201) {
    showVerdict("");
    render(data);
  } else {
    notice("Could not start: " + problemsText(data));
  }
}

async function boot() {
  const presets = await api("GET", "/api/presets");
  for (const p of presets.data) $("preset").append(el("option", p.title, { value: p.name }));
  const actions = await api("GET", "/api/actions");
  for (const a of actions.data) actionSchemas[a.name] = a.data_schema;
  const match = location.hash.match(/session=([A-Za-z0-9_-]+)/);
  if (match) {
    const { status, data } = await api("GET", `/api/sessions/${match[1]}`);
    if (status === 200) render(data);
  }
  document.body.dataset.ready = "true";
}

function init() {
  $("start-session").addEventListener("click", () => startSession().catch((e) => notice(e.message)));
  $("action-form").addEventListener("submit", (e) => doAction(e).catch((err) => notice(err.message)));
  $("advance-form").addEventListener("submit", (e) => advance(e).catch((err) => notice(err.message)));
  $("save-token").addEventListener("click", () => {
    sessionStorage.setItem(TOKEN_KEY, $("token").value);
    location.reload();
  });
  boot().catch((e) => notice(e.message));
}

document.addEventListener("DOMContentLoaded", init);
