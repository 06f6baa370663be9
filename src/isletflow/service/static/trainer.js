// The trainer page: a plain client of isletflow's public HTTP API (nothing private).
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "isletflow-token";
let current = null;          // the last SessionView the server sent
let scenarios = {};          // bundled scenario name -> {title, description}
let selected = null;         // the action whose form is open
// The one table of words (GET /words, isletflow.wording): actions, states, fields with units.
let table = { actions: {}, states: {}, fields: {} };

function requestHeaders() {
  const headers = { "Content-Type": "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = "Bearer " + token;
  return headers;
}

// Where the HTTP API is served (docs/service.md). The page names each route by its path under
// it (e.g. /sessions); the request helper puts this version of the API in front.
const API_BASE = "/api/v1";

// A duration as the API writes it (ISO 8601 in days at most: P1DT9H30M) in seconds.
function seconds(iso) {
  const m = /^(-?)P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$/.exec(iso);
  if (!m) return null;
  const total = ((+(m[2] || 0) * 24 + +(m[3] || 0)) * 60 + +(m[4] || 0)) * 60 + +(m[5] || 0);
  return m[1] ? -total : total;
}

// A duration said as a person reads it, to the minute, as the debrief's text says it:
// "1 d 9 h 30 min".
function spoken(iso) {
  const signed = seconds(iso);
  if (signed === null) return iso;
  const sign = signed < 0 ? "minus " : "";
  const seconds_ = Math.abs(signed);
  let minutes = Math.round(seconds_ / 60);
  if (minutes === 0) return sign + (Math.round(seconds_) ? `${Math.round(seconds_)} s` : "0 min");
  const parts = [];
  for (const [size, unit] of [[1440, "d"], [60, "h"], [1, "min"]]) {
    if (minutes >= size) parts.push(`${Math.floor(minutes / size)} ${unit}`);
    minutes %= size;
  }
  return sign + parts.join(" ");
}

async function api(method, path, body) {
  const response = await fetch(API_BASE + path, {
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

// A notice stays in view (sticky) until the next change clears it.
function notice(text) {
  $("notice").textContent = text || "";
  $("notice").hidden = !text;
}

// Names as a trainee reads them, from the table: "harvest.procured" -> "procured (harvest)",
// "start_isolation" -> "start the isolation"; any other code (a deviation's kind) unjoined. The
// server's sentences come in these words already (the view's verdicts, the score's reasons).
function words(name) {
  if (!name) return "";
  return table.states[name] || table.actions[name] || name.replaceAll("_", " ");
}

// A field as a form labels it: its words and unit, "heparin (U/kg)".
function fieldWords(name) {
  const field = table.fields[name];
  if (!field) return name.replaceAll("_", " ");
  return field.unit ? `${field.label} (${field.unit})` : field.label;
}

// Fields whose form a rule checks with a pattern: said in words, never as the pattern.
const FORMS = { after: "a duration such as 90min, 6h or 1h30min", by: "a duration such as 90min, 6h or 1h30min" };

function ruleText(p) {
  const field = String(p.location || "").split(".").pop();
  if (/pattern/i.test(p.rule || "")) {
    const choice = current && current.allowed.flatMap((a) => a.choices).find((c) => c.name === field);
    const hint = FORMS[field] || (choice && choice.description) || "";
    return `${fieldWords(field)}: "${p.value}" is not in the expected form${hint ? " (" + hint + ")" : ""}`;
  }
  return `${fieldWords(field)}: ${p.rule}`;
}

function problemsText(data) {
  if (data && Array.isArray(data.problems)) return data.problems.map(ruleText).join("; ");
  return (data && data.detail) || String(data);
}

// -- Rendering a session ------------------------------------------------------------------

function render(view) {
  current = view;
  $("start").hidden = true;
  $("session").hidden = false;
  history.replaceState(null, "", "#session=" + encodeURIComponent(view.id));
  $("state").textContent = words(view.state);
  $("state").dataset.state = view.state;
  $("clock").textContent = when(view.now);
  $("since").textContent = spoken(view.since_clamp);
  $("version").textContent = String(view.version);
  $("exercise").textContent = view.exercise;
  $("brief").textContent = view.brief || "";
  $("score").textContent = `${view.score.points} / ${view.score.full_marks}` + lostByKind(view.score.deviations);
  const results = view.results || { results: [], pressures: [], alarm: null };
  $("alarm").hidden = !results.alarm;
  $("alarm").textContent = results.alarm ? "ALARM: " + results.alarm : "";
  $("new-case-box").hidden = !view.finished;
  renderOutcome(view.outcome);
  renderDeadlines(view.deadlines, view.now);
  renderActions(view.allowed, view.finished);
  renderResults(results.results, results.pressures);
  renderPressureChart(results.pressures);
  renderDeviations(view.score.deviations, view.mode === "assessment" && !view.finished);
  refreshTimeline();
  refreshDiagram();
  refreshDebrief(view.finished);
}

// The points lost by kind of deviation: " (lost: refused 1, out of order 2)".
function lostByKind(deviations) {
  const lost = new Map();
  for (const d of deviations) lost.set(d.kind, (lost.get(d.kind) || 0) + d.cost);
  const parts = [...lost].map(([kind, cost]) => `${words(kind)} ${cost}`);
  return parts.length ? ` (lost: ${parts.join(", ")})` : "";
}

function shownValue(r) {
  if (typeof r.value === "boolean") return r.label === "Gram stain" ? (r.value ? "positive" : "negative") : (r.value ? "yes" : "no");
  if (typeof r.value === "number") {
    const n = Math.abs(r.value) >= 100 ? Math.round(r.value).toLocaleString("en") : String(Math.round(r.value * 100) / 100);
    return r.unit ? `${n} ${r.unit}` : n;
  }
  return String(r.value);
}

// Each value with its unit, the protocol's limit and the verdict; the readings last.
function renderResults(results, pressures) {
  const body = $("results").querySelector("tbody");
  body.replaceChildren();
  const rows = [...results, ...pressures];
  if (!rows.length) {
    const row = el("tr");
    row.append(el("td", "Nothing measured yet.", { colspan: "4" }));
    body.append(row);
  }
  for (const r of rows) {
    const row = el("tr", null, { title: r.text });
    row.append(el("td", r.label), el("td", shownValue(r)), el("td", r.limit || "—"));
    const verdict = r.verdict === "within" ? "✓ within" : r.verdict === "outside" ? "✗ outside" : "—";
    row.append(el("td", verdict, { class: r.verdict || "" }));
    body.append(row);
  }
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// The portal-pressure readings as a line over minutes since the first, each limit dashed.
function renderPressureChart(pressures) {
  const chart = $("pressure-chart");
  chart.replaceChildren();
  $("pressure-figure").hidden = !pressures.length;
  if (!pressures.length) return;
  const t0 = Date.parse(pressures[0].at);
  const xs = pressures.map((p) => (Date.parse(p.at) - t0) / 60000);
  const limits = [...new Set(pressures.map((p) => p.limit_value).filter((v) => v !== null))];
  const values = [...pressures.map((p) => p.value), ...limits];
  const low = Math.floor(Math.min(...values) - 2), high = Math.ceil(Math.max(...values) + 2);
  const span = Math.max(1, Math.max(...xs));
  const [left, right, top, bottom] = [40, 590, 10, 190];
  const x = (m) => left + (right - left) * (m / span);
  const y = (v) => bottom - (bottom - top) * ((v - low) / (high - low));
  chart.append(svg("line", { x1: left, y1: bottom, x2: right, y2: bottom, stroke: "#8892a0" }));
  chart.append(svg("line", { x1: left, y1: top, x2: left, y2: bottom, stroke: "#8892a0" }));
  for (const v of [low, high]) chart.append(svg("text", { x: 4, y: y(v) + 4 }, `${v}`));
  chart.append(svg("text", { x: right - 80, y: 210 }, `${Math.round(span)} min`));
  chart.append(svg("text", { x: left, y: 210 }, "first reading"));
  for (const limit of limits) {
    const baseline = pressures.some((p) => p.limit_value === limit && p.limit && p.limit.startsWith("below"));
    chart.append(svg("line", { x1: left, y1: y(limit), x2: right, y2: y(limit), class: baseline ? "baseline-limit" : "limit" }));
    chart.append(svg("text", { x: right - 150, y: y(limit) - 4 }, `${baseline ? "baseline limit" : "stop limit"} ${limit} mmHg`));
  }
  const points = pressures.map((p, i) => `${x(xs[i])},${y(p.value)}`).join(" ");
  chart.append(svg("polyline", { points, class: "line" }));
  pressures.forEach((p, i) => {
    const dot = svg("circle", { cx: x(xs[i]), cy: y(p.value), r: 4, class: "point " + (p.verdict || "") });
    dot.append(svg("title", {}, p.text));
    chart.append(dot);
  });
  chart.dataset.readings = String(pressures.length);
}

function renderDeviations(deviations, withheld) {
  const list = $("deviations");
  list.replaceChildren();
  if (!deviations.length) list.append(el("li", "None: on the expert's path so far."));
  for (const d of deviations) {
    const why = d.reasons.length ? d.reasons.join(" ") : withheld ? "(the reason comes with the debrief)" : "";
    const item = el("li", `${words(d.kind)}${d.action ? " (" + words(d.action) + ")" : ""}: ${why} `);
    item.append(el("span", `−${d.cost}`, { class: "cost" }));
    list.append(item);
  }
}

// The workflow drawn from GET /diagram: one column per phase, each state with its steps.
async function refreshDiagram() {
  if (!current) return;
  const { status, data } = await api("GET", `/sessions/${current.id}/diagram`);
  if (status !== 200) return;
  const box = $("diagram");
  box.replaceChildren();
  const phases = new Map();
  for (const state of data.states) {
    const group = state.name.includes(".") ? state.phase : "end";
    if (!phases.has(group)) phases.set(group, []);
    phases.get(group).push(state);
  }
  for (const [phase, states] of phases) {
    const column = el("div", null, { class: phase === "end" ? "phase terminals" : "phase" });
    column.append(el("h3", phase));
    for (const state of states) {
      const node = el("div", null, { "data-state": state.name });
      node.className = "node" + (state.visited ? " visited" : "") + (state.name === data.state ? " current" : "");
      node.append(el("div", state.name.split(".").pop().replaceAll("_", " ")));
      const out = data.edges.filter((e) => e.source === state.name && e.name !== "abort");
      if (out.length) {
        const ul = el("ul");
        for (const e of out) {
          const text = e.kind === "deadline" ? `deadline: ${e.name.replaceAll("_", " ")} → aborted`
            : `${words(e.name)} → ${e.target.split(".").pop().replaceAll("_", " ")}`;
          ul.append(el("li", text, { class: e.kind === "deadline" ? "deadline" : (e.taken ? "taken" : "") }));
        }
        node.append(ul);
      }
      column.append(node);
    }
    box.append(column);
  }
}

async function refreshDebrief(finished) {
  $("debrief-panel").hidden = !finished;
  if (!finished) return;
  const { status, data } = await api("GET", `/sessions/${current.id}/debrief`);
  if (status === 200) renderDebrief(data);
}

// "aborted (cold ischemia exceeded [S5a])": the code in words, the source of its rule if any.
function outcomeCode(o) {
  return o.code ? ` (${words(o.code)}${o.source ? " [" + o.source + "]" : ""})` : "";
}

function outcomeWords(o) {
  return o ? `${o.status}${outcomeCode(o)} ${spoken(o.since_clamp)} after cross-clamp` : "not ended";
}

function stepCell(step) {
  // The label and details come in words, with units, from the server (the debrief's own).
  return el("td", step ? `${spoken(step.since_clamp)}: ${step.label}${step.detail ? " — " + step.detail : ""}` : "");
}

// The debrief as a report: the summary, each deviation with its cost and reasons (their
// sources in brackets), and the trainee's steps beside the expert's.
function renderDebrief(d) {
  const box = $("debrief");
  box.replaceChildren();
  box.append(el("h3", `Debrief: ${d.exercise}`));
  const summary = el("dl", null, { class: "debrief-summary" });
  const pairs = [
    ["Score", `${d.points} / ${d.full_marks}`],
    ["Outcome", outcomeWords(d.outcome)],
    ["Expert's outcome", outcomeWords(d.expert_outcome)],
    ["Infusion started", `${d.time_to_infusion ? spoken(d.time_to_infusion) : "never"} after cross-clamp (expert: ${d.expert_time_to_infusion ? spoken(d.expert_time_to_infusion) : "never"})`],
  ];
  for (const [term, value] of pairs) summary.append(el("dt", term), el("dd", value));
  box.append(summary);
  box.append(el("h4", d.deviations.length ? `Deviations (${d.deviations.length})` : "No deviation"));
  if (d.deviations.length) {
    const table = el("table", null, { id: "debrief-deviations" });
    const head = el("tr");
    head.append(el("th", "What"), el("th", "Why, and what it led to"), el("th", "Cost"));
    table.append(head);
    for (const dev of d.deviations) {
      const row = el("tr");
      row.append(el("td", `${words(dev.kind)}${dev.action ? " (" + words(dev.action) + ")" : ""}`));
      row.append(el("td", dev.reasons.join(" ")), el("td", `−${dev.cost}`));
      table.append(row);
    }
    box.append(table);
  }
  box.append(el("h4", "Your steps beside the expert's"));
  const steps = el("table", null, { id: "debrief-steps" });
  const head = el("tr");
  head.append(el("th", "You"), el("th", "The expert"), el("th", "Deviation"));
  steps.append(head);
  for (const r of d.rows) {
    const row = el("tr", null, r.deviation_kinds.length ? { class: "deviated" } : {});
    row.append(stepCell(r.trainee), stepCell(r.expert), el("td", r.deviation_kinds.map(words).join(", ")));
    steps.append(row);
  }
  box.append(steps);
}

function renderOutcome(outcome) {
  const node = $("outcome");
  node.hidden = !outcome;
  node.className = outcome ? outcome.status : "";
  if (outcome) {
    node.textContent = `Outcome: ${outcome.status}${outcomeCode(outcome)} at ${when(outcome.at)}`;
  }
}

// Less than an hour left on the session clock: "due" and "now" are both on it, in UTC.
function soon(deadline, now) { return Date.parse(deadline.due) - Date.parse(now) < 3600 * 1000; }

function renderDeadlines(deadlines, now) {
  const list = $("deadlines");
  list.replaceChildren();
  if (!deadlines.length) list.append(el("li", "No deadline is running."));
  for (const d of deadlines) {
    const item = el("li", `${words(d.name)}: ${spoken(d.time_left)} left (due ${when(d.due)} on the session clock; then the case is aborted)`,
      { "data-deadline": d.name });
    if (soon(d, now)) item.className = "soon";
    list.append(item);
  }
}

function renderActions(allowed, finished) {
  const list = $("actions");
  list.replaceChildren();
  if (finished) list.append(el("li", "The case has ended: no action is possible."));
  for (const a of allowed) {
    const item = el("li");
    const button = el("button", words(a.action), { type: "button", "data-action": a.action });
    if (a.accepted === false) button.className = "blocked";  // null: not judged (assessment)
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

// The timeline from its JSON (GET /timeline): each event's time since cross-clamp and what it
// was, as the server says it in words ("said": the debrief's words, values with their units).
async function refreshTimeline() {
  if (!current) return;
  const { status, data } = await api("GET", `/sessions/${current.id}/timeline`);
  if (status !== 200) return;
  const clamp = Date.parse(current.now) - 1000 * seconds(current.since_clamp);
  const body = $("timeline").querySelector("tbody");
  body.replaceChildren();
  data.events.forEach((event, i) => {
    const said = data.said[i] || { label: event.kind, detail: "" };
    const since = Math.round((Date.parse(event.at) - clamp) / 1000);
    const row = el("tr", null, { "data-kind": event.kind });
    row.append(el("td", spoken(`PT${since}S`)), el("td", said.label), el("td", said.detail));
    body.append(row);
  });
}

// -- The form for an action: only what the trainee chooses (the view's "choices") ---------

function fieldFor(choice) {
  let schema = choice.json_schema || {};
  if (schema.anyOf) schema = schema.anyOf.find((p) => p.type !== "null") || {};
  const name = choice.name;
  const wrap = el("div", null, { class: "field" });
  const label = el("label", fieldWords(name) + (choice.required ? " *" : ""));
  wrap.append(label);
  if (choice.many) {
    for (const option of choice.options || []) {
      const box = el("input", null, { type: "checkbox", name, value: option, "data-kind": "array" });
      const text = el("label", option.replaceAll("_", " "));
      text.prepend(box);
      wrap.append(text);
    }
    return wrap;
  }
  let input;
  if (choice.options) {
    input = el("select", null, { name, "data-kind": "string" });
    input.append(el("option", "", { value: "" }));
    for (const option of choice.options) input.append(el("option", option.replaceAll("_", " "), { value: option }));
  } else if (schema.type === "boolean") {
    input = el("input", null, { type: "checkbox", name, "data-kind": "boolean" });
  } else if (schema.type === "number" || schema.type === "integer") {
    input = el("input", null, { type: "number", step: "any", name, "data-kind": "number" });
  } else {
    input = el("input", null, { type: "text", name, "data-kind": "string" });
  }
  if (choice.description) input.title = choice.description;
  label.setAttribute("for", "field-" + name);
  input.id = "field-" + name;
  wrap.append(input);
  return wrap;
}

function openForm(action) {
  selected = action;
  const entry = current.allowed.find((a) => a.action === action) || { choices: [], measured: [] };
  const fields = $("action-fields");
  fields.replaceChildren();
  for (const choice of entry.choices) fields.append(fieldFor(choice));
  $("action-measured").textContent = entry.measured.length
    ? "Measured by the lab or the monitor: " + entry.measured.map(fieldWords).join(", ") : "";
  $("action-title").textContent = words(action);
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
  const { status, data } = await api("POST", `/sessions/${current.id}/${path}`, body);
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
  notice("Not sent: " + problemsText(data));
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
    showVerdict(`Done: ${words(action)}.${warnings}`, "accepted");
    $("after").value = "";
    closeForm();
  } else {
    showVerdict(`Refused: ${words(action)}. ` + result.failures.map((f) => f.message).join(" "), "refused");
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
  const body = { scenario: $("scenario").value, mode: $("mode").value };
  const seed = $("seed").value.trim();
  if (seed !== "") body.seed = Number(seed);
  const { status, data } = await api("POST", "/sessions", body);
  if (status === 201) {
    showVerdict("");
    notice("");
    render(data);
  } else {
    notice("Could not start: " + problemsText(data));
  }
}

async function boot() {
  const said = await api("GET", "/words");
  if (said.status === 200) table = said.data;
  const listed = await api("GET", "/scenarios");
  for (const s of listed.data) {
    scenarios[s.name] = s;
    $("scenario").append(el("option", s.title, { value: s.name }));  // a file name may name the lesson
  }
  if (scenarios.standard) $("scenario").value = "standard";
  describe();
  for (const id of ["scenario", "seed", "mode", "start-session"]) $(id).disabled = false;
  const match = location.hash.match(/session=([A-Za-z0-9_-]+)/);
  if (match) {
    const { status, data } = await api("GET", `/sessions/${match[1]}`);
    if (status === 200) render(data);
  }
  document.body.dataset.ready = "true";
}

// Back to the start: the finished case stays stored, reachable by its link.
function newCase() {
  current = null;
  closeForm();
  showVerdict("");
  notice("");
  history.replaceState(null, "", location.pathname);
  $("session").hidden = true;
  $("start").hidden = false;
  $("start-session").focus();
}

function describe() {
  const chosen = scenarios[$("scenario").value];
  $("scenario-description").textContent = chosen ? chosen.description : "";
}

function init() {
  $("scenario").addEventListener("change", describe);
  $("start-session").addEventListener("click", () => startSession().catch((e) => notice(e.message)));
  $("action-form").addEventListener("submit", (e) => doAction(e).catch((err) => notice(err.message)));
  $("advance-form").addEventListener("submit", (e) => advance(e).catch((err) => notice(err.message)));
  $("new-case").addEventListener("click", newCase);
  $("save-token").addEventListener("click", () => {
    sessionStorage.setItem(TOKEN_KEY, $("token").value);
    location.reload();
  });
  boot().catch((e) => notice(e.message));
}

document.addEventListener("DOMContentLoaded", init);
