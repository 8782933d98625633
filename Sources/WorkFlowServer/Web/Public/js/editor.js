// The workflow editor (/workflows/create/ and /workflows/<name>/edit/): one workflow document in
// memory, shown three ways — a form of step cards, the graph canvas (graph.js) and its JSON
// (CodeMirror 5 when Debian's package is installed, the plain textarea otherwise) — checked by the
// server as it changes and saved through API v1.
//
// The document object is the model. It changes only through model.change() and model.replace(),
// which tell every view: the visible one redraws at once, hidden ones when shown. The view a change
// came from is not redrawn by it (the user is typing there). Keys the editor does not know, in the
// document and in its steps, are never touched, and edits keep the order of the keys they change.

import { api, guardEditing } from "./app.js";
import { WorkflowCanvas } from "./graph.js";

const root = document.getElementById("editor");
const data = JSON.parse(document.getElementById("editor-data")?.textContent ?? "null");
const paths = data?.paths ?? {};
const isCreate = data?.mode === "create";
const modules = new Map((data?.modules ?? []).map((module) => [module.name, module]));
const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

const nameInput = document.getElementById("flow-name");
const saveButton = document.getElementById("editor-save");
const runButton = document.getElementById("editor-run");
const stateLabel = document.getElementById("editor-state");
const problemsBox = document.getElementById("editor-problems");
const versionBadge = document.getElementById("editor-version");
const commentInput = document.getElementById("editor-comment");
const jsonText = document.getElementById("json-text");

// ---------------------------------------------------------------------------------------------
// Small helpers

let idCounter = 0;
const uid = (prefix = "ed") => `${prefix}-${++idCounter}`;

/** An element with attributes (`text` sets its text, `on<event>` adds a listener, `value`/`checked`
 *  set properties; null, undefined and false leave an attribute out) and children. */
function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "value" || key === "checked") node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** Text that JSON.parse reads as something other than the same text. */
function parsesAsJSON(text) {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A value for a field that takes JSON or plain text: text as it is, unless it would read back as JSON. */
function looseText(value) {
  if (value === undefined) return "";
  if (typeof value === "string" && !parsesAsJSON(value)) return value;
  return JSON.stringify(value, null, typeof value === "object" && value !== null ? 2 : 0);
}

/** What a field that takes JSON or plain text holds: the JSON when it parses, else the text. */
function readLoose(text) {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function announce(text) {
  announcer.textContent = "";
  requestAnimationFrame(() => (announcer.textContent = text));
}

// ---------------------------------------------------------------------------------------------
// The model

/** The document with a change/notify mechanism; `revision` counts changes. */
function createModel(initial) {
  let doc = initial;
  let revision = 0;
  const listeners = [];
  const notify = (source) => {
    revision++;
    for (const listener of listeners) listener(source);
  };
  return {
    get doc() {
      return doc;
    },
    get revision() {
      return revision;
    },
    /** Mutates the document in place; `source` names the view the change came from (it is not redrawn). */
    change(mutate, source = null) {
      mutate(doc);
      notify(source);
    },
    /** Puts a new document in place (an edit of the JSON). */
    replace(next, source = null) {
      doc = next;
      notify(source);
    },
    subscribe(listener) {
      listeners.push(listener);
    },
  };
}

const model = createModel(isObject(data?.document) ? data.document : { procedures: [] });

// ---------------------------------------------------------------------------------------------
// Document operations: steps, dependencies, names, layout

function stepsOf(doc) {
  return Array.isArray(doc.procedures) ? doc.procedures : [];
}

function ensureSteps(doc) {
  if (!Array.isArray(doc.procedures)) doc.procedures = [];
  return doc.procedures;
}

function stepName(step) {
  return isObject(step) && typeof step.name === "string" ? step.name : "";
}

function stepPath(index) {
  return `procedures[${index}]`;
}

/** The step index an issue path such as `procedures[2].params.msg` is about, or null. */
function stepIndexOf(path) {
  const match = /^procedures\[(\d+)\]/.exec(path ?? "");
  return match ? Number(match[1]) : null;
}

/** The index of the first step with each name. */
function indexByName(list) {
  const map = new Map();
  list.forEach((step, index) => {
    const name = stepName(step);
    if (name && !map.has(name)) map.set(name, index);
  });
  return map;
}

/** The names step `index` waits for: its depends_on, or the previous step in the list. */
function dependenciesOf(list, index) {
  const step = list[index];
  if (isObject(step) && Array.isArray(step.depends_on)) return step.depends_on.filter((name) => typeof name === "string");
  return index > 0 && stepName(list[index - 1]) ? [stepName(list[index - 1])] : [];
}

/** Writes step `index`'s implicit dependency on the previous step out as depends_on, so it can be edited. */
function materialiseDependencies(list, index) {
  const step = list[index];
  if (!Array.isArray(step.depends_on)) step.depends_on = dependenciesOf(list, index);
  return step.depends_on;
}

/** The indices of the steps that finish before step `index` (its dependencies, transitively). */
function upstreamOf(list, index) {
  const byName = indexByName(list);
  const seen = new Set();
  const stack = [index];
  while (stack.length) {
    const current = stack.pop();
    for (const name of dependenciesOf(list, current)) {
      const other = byName.get(name);
      if (other === undefined || other === index || seen.has(other)) continue;
      seen.add(other);
      stack.push(other);
    }
  }
  return [...seen].sort((a, b) => a - b);
}

function uniqueName(list, base, { numbered = false } = {}) {
  const taken = new Set(list.map(stepName));
  if (!numbered && !taken.has(base)) return base;
  for (let n = numbered ? list.length + 1 : 2; ; n++) {
    const name = numbered ? `${base}${n}` : `${base}-${n}`;
    if (!taken.has(name)) return name;
  }
}

function firstMethodOf(moduleName) {
  return modules.get(moduleName)?.methods?.[0]?.name ?? "";
}

/** A new step: the module of the last step (or the first module) and its first method. */
function newStep(list) {
  const last = [...list].reverse().find((step) => isObject(step) && modules.has(step.mod));
  const mod = last?.mod ?? modules.keys().next().value ?? "";
  return { name: uniqueName(list, "step", { numbered: true }), mod, method: firstMethodOf(mod), params: {} };
}

/** Renames a step's mentions: depends_on, references in params/when/foreach, _positions and _connections. */
function renameStepReferences(doc, before, after) {
  const escaped = before.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const whole = new RegExp(`(^|[^@])@${escaped}(?=$|[.\\[\\s)=!<>,])`, "g");
  const inside = new RegExp(`\\$\\{${escaped}(?=[.\\[}])`, "g");
  const rewrite = (value) => {
    if (typeof value === "string") return value.replace(whole, `$1@${after}`).replace(inside, `\${${after}`);
    if (Array.isArray(value)) return value.map(rewrite);
    if (isObject(value)) {
      for (const key of Object.keys(value)) value[key] = rewrite(value[key]);
      return value;
    }
    return value;
  };
  for (const step of stepsOf(doc)) {
    if (!isObject(step)) continue;
    if (Array.isArray(step.depends_on)) step.depends_on = step.depends_on.map((name) => (name === before ? after : name));
    if (isObject(step.params)) rewrite(step.params);
    if (typeof step.when === "string") step.when = rewrite(step.when);
    if (step.foreach !== undefined) step.foreach = rewrite(step.foreach);
  }
  if (isObject(doc._positions) && Object.hasOwn(doc._positions, before) && !Object.hasOwn(doc._positions, after)) {
    doc._positions = Object.fromEntries(Object.entries(doc._positions).map(([key, value]) => [key === before ? after : key, value]));
  }
  syncConnections(doc);
}

/** Removes step `index` and its mentions in other steps' depends_on and in the layout. */
function removeStep(doc, index) {
  const list = stepsOf(doc);
  const name = stepName(list[index]);
  list.splice(index, 1);
  const stillUsed = list.some((step) => stepName(step) === name);
  if (name && !stillUsed) {
    for (const step of list) {
      if (isObject(step) && Array.isArray(step.depends_on)) step.depends_on = step.depends_on.filter((other) => other !== name);
    }
    if (isObject(doc._positions)) delete doc._positions[name];
  }
  syncConnections(doc);
}

function moveStep(doc, from, to) {
  const list = stepsOf(doc);
  const [step] = list.splice(from, 1);
  list.splice(to, 0, step);
  syncConnections(doc);
}

/** The keys the document's own `_connections` use for an edge (`from`/`to` unless it says otherwise). */
function connectionKeys(connections) {
  const sample = connections.find(isObject);
  if (sample && "source" in sample && "target" in sample) return ["source", "target"];
  return ["from", "to"];
}

/** Keeps `_connections` (the seed editor's edges) equal to the dependencies, when the document has it. */
function syncConnections(doc) {
  if (!Array.isArray(doc._connections)) return;
  const [fromKey, toKey] = connectionKeys(doc._connections);
  const list = stepsOf(doc);
  const known = indexByName(list);
  const edges = [];
  list.forEach((step, index) => {
    for (const from of dependenciesOf(list, index)) {
      if (known.has(from) && stepName(step)) edges.push({ [fromKey]: from, [toKey]: stepName(step) });
    }
  });
  doc._connections = edges;
}

/** Sets or (with undefined) removes `key` of `object`, keeping the other keys where they are. */
function setKey(object, key, value) {
  if (value === undefined) delete object[key];
  else object[key] = value;
}

// ---------------------------------------------------------------------------------------------
// Page structure

const announcer = h("div", { class: "visually-hidden", role: "status", "aria-live": "polite" });
root.append(announcer);

const panels = {
  form: document.getElementById("view-form"),
  visual: document.getElementById("view-visual"),
  json: document.getElementById("view-json"),
};
const tabs = {
  form: document.getElementById("tab-form"),
  visual: document.getElementById("tab-visual"),
  json: document.getElementById("tab-json"),
};
const views = {
  form: { render: renderForm, stale: true },
  visual: { render: renderVisual, stale: true },
  json: { render: renderJSON, stale: true },
};
let currentView = "form";

// ---------------------------------------------------------------------------------------------
// Form view

/** Per-step view state, kept across redraws while the step object lives. */
const formState = { raw: new WeakSet(), advanced: new WeakSet(), reference: new WeakMap(), settingsOpen: false };
/** Functions that put the model's current values back into the form's controls (see softRefreshForm). */
let refreshers = [];

function renderForm(focusKey) {
  const active = document.activeElement;
  const keep = focusKey ?? (panels.form.contains(active) ? active.dataset.key : undefined);
  const selection = keep && !focusKey && "selectionStart" in active ? [active.selectionStart, active.selectionEnd] : null;
  refreshers = [];
  panels.form.replaceChildren(buildForm());
  applyIssuesToForm();
  if (keep) {
    let target = panels.form.querySelector(`[data-key="${CSS.escape(keep)}"]`);
    // A button that is now disabled (Move down on the last card) hands the focus to its card's handle.
    if (target?.disabled) target = target.closest(".step-card")?.querySelector(".step-handle") ?? null;
    if (target) {
      target.closest("details")?.setAttribute("open", "");
      target.focus({ preventScroll: !focusKey });
      if (selection) {
        try {
          target.setSelectionRange(...selection);
        } catch {
          // Not a text control.
        }
      }
      if (focusKey) target.scrollIntoView({ block: "nearest" });
    }
  }
}

/** Puts current values into every control except the focused one, without rebuilding the form. */
function softRefreshForm() {
  for (const refresh of refreshers) refresh();
}

function buildForm() {
  const doc = model.doc;
  const list = stepsOf(doc);
  const parts = [buildSettings(doc)];
  if (doc.procedures !== undefined && !Array.isArray(doc.procedures)) {
    parts.push(h("p", { class: "form-error", text: "“procedures” is not a list of steps. Fix it in the JSON view." }));
    return h("div", { class: "form-view" }, parts);
  }
  const heading = h("div", { class: "steps-head" }, h("h2", { text: "Steps" }), h("span", { class: "muted", text: plural(list.length, "step") }));
  const items = list.map((step, index) => buildStepCard(list, index));
  const stepList = h("ol", { class: "step-list", "aria-label": "Steps" }, items);
  wireDragAndDrop(stepList);
  const add = h("button", { type: "button", class: "button add-step", "data-key": "add-step", onclick: () => addStep("form") }, "+ Add step");
  if (!list.length) parts.push(heading, h("p", { class: "empty", text: "No steps yet: add the first one." }), add);
  else parts.push(heading, stepList, add);
  return h("div", { class: "form-view" }, parts);
}

function addStep(from) {
  let index = 0;
  model.change((doc) => {
    const list = ensureSteps(doc);
    list.push(newStep(list));
    index = list.length - 1;
    syncConnections(doc);
  });
  const name = stepName(stepsOf(model.doc)[index]);
  announce(`Added step ${name}.`);
  if (from === "form") {
    const key = `${stepPath(index)}.name`;
    const input = panels.form.querySelector(`[data-key="${CSS.escape(key)}"]`);
    input?.closest(".step-card")?.scrollIntoView({ block: "nearest" });
    input?.focus();
    input?.select();
  } else {
    canvas?.select(visualIds[index]);
    updateVisualButtons();
  }
}

// --- Workflow settings: variables and run-wide fields

function buildSettings(doc) {
  const variables = isObject(doc.variables) ? doc.variables : null;
  const count = variables ? Object.keys(variables).length : 0;
  const summaryBits = [plural(count, "variable")];
  if (doc.max_parallel !== undefined) summaryBits.push(`max parallel ${doc.max_parallel}`);
  if (doc.timeout !== undefined) summaryBits.push(`timeout ${doc.timeout} s`);
  if (doc.on_error !== undefined) summaryBits.push(`on error ${doc.on_error}`);
  const details = h("details", { class: "workflow-settings", open: formState.settingsOpen }, h("summary", {},
    h("span", { class: "settings-title", text: "Workflow settings" }), h("span", { class: "muted", text: summaryBits.join(" · ") })));
  details.addEventListener("toggle", () => (formState.settingsOpen = details.open));

  const rows = h("div", { class: "variables-rows" });
  if (doc.variables !== undefined && !variables) {
    rows.append(h("p", { class: "form-error", text: "“variables” is not an object. Fix it in the JSON view." }));
  } else {
    for (const key of Object.keys(variables ?? {})) rows.append(buildVariableRow(key));
  }
  const addVariable = h("button", {
    type: "button", class: "button small", "data-key": "add-variable",
    onclick: () => {
      let key = "";
      model.change((doc) => {
        if (!isObject(doc.variables)) doc.variables = {};
        for (let n = 1; ; n++) {
          key = `var${n}`;
          if (!Object.hasOwn(doc.variables, key)) break;
        }
        doc.variables[key] = "";
      });
      const input = panels.form.querySelector(`[data-key="${CSS.escape(`variables.${key}:key`)}"]`);
      input?.focus();
      input?.select();
    },
  }, "+ Add variable");
  const variablesBox = h("fieldset", { class: "variables", "data-path": "variables", "data-key": "variables" },
    h("legend", { text: "Variables" }),
    h("p", { class: "help", text: "Steps read them as @var.name or ${var.name}. Values are JSON, or plain text." }),
    rows, addVariable);

  const maxParallel = numberInput(doc.max_parallel, { min: 1, step: 1, placeholder: "8", path: "max_parallel" }, (value) =>
    model.change((doc) => setKey(doc, "max_parallel", value), "form"));
  const timeout = numberInput(doc.timeout, { min: 0, step: "any", placeholder: "none", path: "timeout" }, (value) =>
    model.change((doc) => setKey(doc, "timeout", value), "form"));
  const onError = choiceSelect(doc.on_error, [["", "fail (default)"], ["fail", "fail"], ["continue", "continue"]], "on_error", (value) =>
    model.change((doc) => setKey(doc, "on_error", value), "form"));
  const runFields = h("div", { class: "settings-grid" },
    field("Steps at once", maxParallel, { help: "max_parallel: how many steps may run at the same time." }),
    field("Run timeout (s)", timeout, { help: "The whole run fails when it takes longer." }),
    field("When a step fails", onError, { help: "The default for steps that do not set their own." }));
  const inputsNote = isObject(doc.inputs) && Object.keys(doc.inputs).length
    ? h("p", { class: "help", text: `${plural(Object.keys(doc.inputs).length, "run input")} declared (${Object.keys(doc.inputs).join(", ")}); edit them in the JSON view.` })
    : null;
  details.append(h("div", { class: "settings-body" }, variablesBox, runFields, inputsNote));
  return details;
}

function buildVariableRow(initialKey) {
  let key = initialKey;
  const keyInput = h("input", { type: "text", class: "variable-key", value: key, spellcheck: "false", autocomplete: "off", "data-key": `variables.${key}:key` });
  const valueInput = h("input", {
    type: "text", class: "variable-value", value: looseText(model.doc.variables[key]), spellcheck: "false", autocomplete: "off",
    "data-key": `variables.${key}`, "data-path": `variables.${key}`,
  });
  const keyLabel = uid("var");
  keyInput.id = keyLabel;
  valueInput.id = uid("var");
  const error = h("p", { class: "field-note", hidden: true });
  keyInput.addEventListener("change", () => {
    const next = keyInput.value.trim();
    if (next === key) return;
    const variables = model.doc.variables;
    if (!next || Object.hasOwn(variables, next)) {
      error.hidden = false;
      error.textContent = next ? `There is already a variable named ${next}.` : "A variable needs a name.";
      keyInput.value = key;
      return;
    }
    error.hidden = true;
    model.change((doc) => {
      doc.variables = Object.fromEntries(Object.entries(doc.variables).map(([name, value]) => [name === key ? next : name, value]));
    }, "form");
    key = next;
    keyInput.dataset.key = `variables.${key}:key`;
    valueInput.dataset.key = valueInput.dataset.path = `variables.${key}`;
  });
  valueInput.addEventListener("input", () => {
    const value = readLoose(valueInput.value);
    model.change((doc) => (doc.variables[key] = value === undefined ? "" : value), "form");
  });
  const remove = h("button", {
    type: "button", class: "button small subtle", "aria-label": `Remove variable ${key}`, "data-key": `variables.${key}:remove`,
    onclick: () => model.change((doc) => delete doc.variables[key]),
  }, "Remove");
  return h("div", { class: "variable-row" },
    h("div", { class: "field" }, h("label", { for: keyInput.id, text: "Name" }), keyInput),
    h("div", { class: "field" }, h("label", { for: valueInput.id, text: "Value" }), valueInput),
    remove, error);
}

// --- Step cards

function buildStepCard(list, index) {
  const step = list[index];
  const path = stepPath(index);
  const card = h("li", { class: "step-card", id: `step-${index}`, "data-index": index, "data-path": path });
  const titleId = uid("step-title");
  card.setAttribute("aria-labelledby", titleId);

  const handle = h("button", {
    type: "button", class: "step-handle", "data-key": `${path}:handle`,
    "aria-label": `Reorder step ${index + 1}: drag, or press the arrow keys (Alt+↑/↓ anywhere in the card)`,
    title: "Drag to reorder (Alt+↑ / Alt+↓)",
  }, h("span", { "aria-hidden": "true", text: "⠿" }));
  handle.addEventListener("pointerdown", () => (card.draggable = true));
  handle.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      event.preventDefault();
      moveStepBy(index, event.key === "ArrowUp" ? -1 : 1, `${path}:handle`);
    }
  });

  const title = h("h3", { class: "step-title", id: titleId });
  const issueBadge = h("span", { class: "badge step-issues", hidden: true });
  const disabledBadge = h("span", { class: "badge", text: "disabled", hidden: !(isObject(step) && step.disabled === true) });
  const button = (action, label, text, run, extra = {}) =>
    h("button", { type: "button", class: `button small ${extra.className ?? "subtle"}`, "data-key": `${path}:${action}`, "aria-label": label, title: label, disabled: extra.disabled, onclick: run }, text);
  const actions = h("div", { class: "step-actions" },
    button("up", `Move step ${index + 1} up`, "↑", () => moveStepBy(index, -1, `${path}:up`), { disabled: index === 0 }),
    button("down", `Move step ${index + 1} down`, "↓", () => moveStepBy(index, 1, `${path}:down`), { disabled: index === list.length - 1 }),
    button("duplicate", `Duplicate step ${index + 1}`, "Duplicate", () => duplicateStep(index)),
    button("remove", `Remove step ${index + 1}`, "Remove", () => {
      const name = stepName(list[index]);
      model.change((doc) => removeStep(doc, index));
      announce(`Removed step ${name || index + 1}.`);
      const next = panels.form.querySelector(`[data-key="${CSS.escape(`${stepPath(Math.min(index, stepsOf(model.doc).length - 1))}:remove`)}"]`);
      (next ?? panels.form.querySelector('[data-key="add-step"]'))?.focus();
    }, { className: "danger" }));
  const head = h("div", { class: "step-head" }, handle, h("span", { class: "step-number", "aria-hidden": "true", text: String(index + 1) }), title, disabledBadge, issueBadge, actions);
  card.append(head);

  const updateTitle = () => {
    const name = stepName(step);
    const kind = isObject(step) ? [step.mod, step.method].filter((part) => typeof part === "string" && part).join(" · ") : "";
    title.replaceChildren(
      h("span", { class: "visually-hidden", text: `Step ${index + 1}: ` }),
      h("span", { class: "step-title-name", text: name || "(unnamed)" }),
      kind ? h("span", { class: "step-title-kind", text: kind }) : null);
  };
  updateTitle();

  if (!isObject(step)) {
    card.append(h("div", { class: "step-body" }, h("p", { class: "form-error", text: "This step is not an object with name, mod and method. Fix it in the JSON view, or remove it." })));
    return card;
  }

  const body = h("div", { class: "step-body" });
  body.append(buildIdentityFields(list, index, step, updateTitle));
  body.append(buildParams(list, index, step));
  body.append(buildAdvanced(list, index, step));
  body.append(buildStepTest(list, index, step));
  card.append(body);

  card.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    event.preventDefault();
    moveStepBy(index, event.key === "ArrowUp" ? -1 : 1, document.activeElement?.dataset.key ?? `${path}:handle`);
  });
  return card;
}

// Test step: runs this one step on the server (POST /api/v1/steps/test) with the document as it
// stands — saved or not — and results pinned for the earlier steps it reads. What was typed and
// the last outcome survive redraws of the form, by step name.
const stepTests = new Map(); // step name → { open, results, outcome }

function referencedUpstream(list, index, step) {
  const text = JSON.stringify(step.params ?? {});
  return upstreamOf(list, index).map((other) => stepName(list[other])).filter((name) => name && (text.includes(`"@${name}`) || text.includes(`\${${name}`) || text.includes(`\${@${name}`)));
}

function buildStepTest(list, index, step) {
  const name = stepName(step);
  const state = stepTests.get(name) ?? { open: false, results: null, outcome: null };
  stepTests.set(name, state);
  const resultsId = uid("test-results");
  const pinned = Object.fromEntries(referencedUpstream(list, index, step).map((upstream) => [upstream, {}]));
  const results = h("textarea", { id: resultsId, class: "mono", rows: 4, spellcheck: "false", "data-key": `${stepPath(index)}:test-results` });
  results.value = state.results ?? JSON.stringify(pinned, null, 2);
  results.addEventListener("input", () => (state.results = results.value));
  const output = h("div", { class: "step-test-output", "aria-live": "polite" });
  const runButton = h("button", { type: "button", class: "button small primary", "data-key": `${stepPath(index)}:test-run`, text: "Run this step" });
  const show = (outcome) => {
    state.outcome = outcome;
    output.replaceChildren();
    if (!outcome) return;
    if (outcome.error) {
      output.append(h("p", { class: "form-error", text: outcome.error }));
      return;
    }
    const record = outcome.record;
    output.append(...[
      h("p", {}, h("span", { class: `badge status-${record.status}`, text: record.status }), ` ${record.duration_ms ?? 0} ms`),
      record.error ? h("p", { class: "form-error", text: record.error }) : null,
      h("div", { class: "step-test-label", text: "Parameters, resolved" }),
      h("pre", { class: "code", text: JSON.stringify(record.params ?? {}, null, 2) }),
      h("div", { class: "step-test-label", text: "Result" }),
      h("pre", { class: "code", "data-test-result": name, text: record.result == null ? "–" : JSON.stringify(record.result, null, 2) }),
      (record.logs ?? []).length ? h("pre", { class: "code", text: record.logs.map((line) => `${line.level.toUpperCase()} ${line.message}`).join("\n") }) : null,
    ].filter(Boolean));
  };
  show(state.outcome);
  runButton.addEventListener("click", async () => {
    let pinnedResults;
    try {
      pinnedResults = results.value.trim() ? JSON.parse(results.value) : {};
      if (!isObject(pinnedResults)) throw new Error("an object of results by step name is expected");
    } catch (error) {
      show({ error: `Results of earlier steps: ${error.message}` });
      results.focus();
      return;
    }
    runButton.classList.add("is-busy");
    runButton.disabled = true;
    try {
      const record = await api("POST", "/api/v1/steps/test", { document: model.doc, step: stepName(stepsOf(model.doc)[index]), results: pinnedResults });
      show({ record });
    } catch (error) {
      const details = Array.isArray(error.details) ? error.details.map((issue) => `${issue.path}: ${issue.message}`).join("; ") : "";
      show({ error: details ? `${error.message} (${details})` : error.message });
    } finally {
      runButton.classList.remove("is-busy");
      runButton.disabled = false;
    }
  });
  const details = h("details", { class: "step-test", open: state.open },
    h("summary", { text: "Test this step" }),
    h("p", { class: "help", text: "Runs only this step, now, with the values on this page (saved or not). Steps it reads need a result here; nothing is recorded as a run." }),
    h("label", { for: resultsId, text: "Results of earlier steps (JSON, by step name)" }),
    results,
    h("div", { class: "actions" }, runButton),
    output);
  details.addEventListener("toggle", () => (state.open = details.open));
  return details;
}

function moveStepBy(index, delta, focusKey) {
  const list = stepsOf(model.doc);
  const to = index + delta;
  if (to < 0 || to >= list.length) return;
  const name = stepName(list[index]);
  model.change((doc) => moveStep(doc, index, to), "form");
  const key = focusKey?.startsWith(stepPath(index)) ? stepPath(to) + focusKey.slice(stepPath(index).length) : focusKey;
  renderForm(key);
  announce(`Moved ${name || "the step"} to position ${to + 1} of ${list.length}.`);
}

function duplicateStep(index) {
  model.change((doc) => {
    const list = stepsOf(doc);
    const copy = clone(list[index]);
    if (isObject(copy)) copy.name = uniqueName(list, `${stepName(list[index]) || "step"}-copy`);
    list.splice(index + 1, 0, copy);
    syncConnections(doc);
  });
  const input = panels.form.querySelector(`[data-key="${CSS.escape(`${stepPath(index + 1)}.name`)}"]`);
  input?.focus();
  input?.select();
  announce(`Duplicated step ${index + 1}.`);
}

/** Drag a card by its handle and drop it before or after another. */
function wireDragAndDrop(list) {
  let from = null;
  let to = null;
  const clear = () => list.querySelectorAll(".drop-before, .drop-after").forEach((card) => card.classList.remove("drop-before", "drop-after"));
  list.addEventListener("dragstart", (event) => {
    const card = event.target.closest?.(".step-card");
    if (!card?.draggable) return;
    from = Number(card.dataset.index);
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", stepName(stepsOf(model.doc)[from]));
    card.classList.add("is-dragging");
  });
  list.addEventListener("dragover", (event) => {
    const card = event.target.closest?.(".step-card");
    if (from === null || !card) return;
    event.preventDefault();
    const box = card.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    clear();
    card.classList.add(after ? "drop-after" : "drop-before");
    to = Number(card.dataset.index) + (after ? 1 : 0);
  });
  list.addEventListener("drop", (event) => {
    event.preventDefault();
    if (from === null || to === null) return;
    const target = to > from ? to - 1 : to;
    const start = from;
    from = to = null;
    clear();
    if (target !== start) moveStepBy(start, target - start, `${stepPath(start)}:handle`);
  });
  list.addEventListener("dragend", () => {
    list.querySelectorAll(".step-card").forEach((card) => {
      card.draggable = false;
      card.classList.remove("is-dragging");
    });
    clear();
    from = to = null;
  });
  list.addEventListener("pointerup", () => list.querySelectorAll(".step-card[draggable=true]").forEach((card) => (card.draggable = false)));
}

function buildIdentityFields(list, index, step, updateTitle) {
  const path = stepPath(index);
  const name = h("input", { type: "text", class: "step-name", value: stepName(step), autocomplete: "off", spellcheck: "false", "data-path": `${path}.name`, "data-key": `${path}.name` });
  let before = stepName(step);
  name.addEventListener("focus", () => (before = stepName(step)));
  name.addEventListener("input", () => {
    model.change(() => (step.name = name.value), "form");
    updateTitle();
  });
  name.addEventListener("change", () => {
    const after = name.value;
    const list = stepsOf(model.doc);
    const others = list.filter((other) => other !== step);
    if (!before || !after || before === after || others.some((other) => stepName(other) === before || stepName(other) === after)) return;
    const from = before;
    before = after;
    model.change((doc) => renameStepReferences(doc, from, after), "form");
    softRefreshForm();
    // Other cards' "waits for" boxes name this step: give them the new name in place (rebuilding
    // the form here could swallow the click that moved the focus away).
    panels.form.querySelectorAll(`input[data-dep="${CSS.escape(from)}"]`).forEach((box) => {
      box.dataset.dep = after;
      box.dataset.key = box.dataset.key.slice(0, box.dataset.key.length - from.length) + after;
      const label = panels.form.querySelector(`label[for="${CSS.escape(box.id)}"]`);
      if (label?.firstChild) label.firstChild.textContent = after;
    });
  });

  const moduleSelect = h("select", { "data-path": `${path}.mod`, "data-key": `${path}.mod` });
  moduleSelect.append(h("option", { value: "", text: "Choose a module…" }));
  if (typeof step.mod === "string" && step.mod && !modules.has(step.mod)) {
    moduleSelect.append(h("option", { value: step.mod, text: `${step.mod} (unknown)` }));
  }
  const categories = new Map();
  for (const moduleName of modules.keys()) {
    const category = moduleName.split(".")[0];
    if (!categories.has(category)) categories.set(category, []);
    categories.get(category).push(moduleName);
  }
  for (const [category, names] of categories) {
    moduleSelect.append(h("optgroup", { label: category }, names.map((moduleName) => h("option", { value: moduleName, text: moduleName, title: modules.get(moduleName).doc || null }))));
  }
  moduleSelect.value = typeof step.mod === "string" ? step.mod : "";
  moduleSelect.addEventListener("change", () => {
    const value = moduleSelect.value;
    model.change(() => {
      step.mod = value;
      const known = modules.get(value);
      if (known && !known.methods.some((method) => method.name === step.method)) step.method = firstMethodOf(value);
    });
  });

  const descriptor = modules.get(step.mod);
  const methodSelect = h("select", { "data-path": `${path}.method`, "data-key": `${path}.method`, disabled: !descriptor && !step.method });
  if (!descriptor || !descriptor.methods.some((method) => method.name === step.method)) {
    methodSelect.append(h("option", { value: typeof step.method === "string" ? step.method : "", text: step.method ? `${step.method}${descriptor ? " (unknown)" : ""}` : "Choose a method…" }));
  }
  for (const method of descriptor?.methods ?? []) methodSelect.append(h("option", { value: method.name, text: method.name, title: method.doc || null }));
  methodSelect.value = typeof step.method === "string" ? step.method : "";
  methodSelect.addEventListener("change", () => {
    const value = methodSelect.value;
    model.change(() => (step.method = value));
  });
  const method = descriptor?.methods.find((candidate) => candidate.name === step.method);

  return h("div", { class: "step-grid" },
    field("Name", name, { help: "Unique in the workflow; later steps read the result as @name." }),
    field("Module", moduleSelect, { help: descriptor?.doc || (step.mod && !descriptor ? "Not a module this server knows." : undefined) }),
    field("Method", methodSelect, { help: method ? [method.doc, method.result ? `Result: ${method.result}` : ""].filter(Boolean).join(" ") : undefined }));
}

// --- Parameters

function buildParams(list, index, step) {
  const path = stepPath(index);
  const method = modules.get(step.mod)?.methods.find((candidate) => candidate.name === step.method);
  const valid = step.params === undefined || isObject(step.params);
  const raw = !valid || formState.raw.has(step);
  const toggle = h("button", {
    type: "button", class: "button small subtle", "aria-pressed": String(raw), "data-key": `${path}:raw`, disabled: !valid,
    onclick: () => {
      if (formState.raw.has(step)) formState.raw.delete(step);
      else formState.raw.add(step);
      renderForm(`${path}:raw`);
    },
  }, raw ? "Edit as fields" : "Edit as JSON");
  const box = h("fieldset", { class: "step-params" }, h("legend", {}, "Parameters"), h("div", { class: "params-tools" }, toggle));

  if (raw) {
    const area = h("textarea", {
      class: "mono params-json", rows: Math.min(14, Math.max(3, JSON.stringify(step.params ?? {}, null, 2).split("\n").length)),
      spellcheck: "false", "data-path": `${path}.params`, "data-key": `${path}.params`,
      value: JSON.stringify(step.params ?? {}, null, 2),
    });
    const note = h("p", { class: "field-note", hidden: true });
    area.addEventListener("input", () => {
      try {
        const value = JSON.parse(area.value);
        if (!isObject(value)) throw new Error("the parameters must be a JSON object, { … }");
        note.hidden = true;
        area.removeAttribute("aria-invalid");
        model.change(() => (step.params = value), "form");
      } catch (error) {
        note.hidden = false;
        note.textContent = `Not saved into the workflow until it is valid: ${error.message}`;
        area.setAttribute("aria-invalid", "true");
      }
    });
    box.append(field("Parameters as JSON", area, { help: "An object of parameter names and values." }), note);
    return box;
  }

  const params = isObject(step.params) ? step.params : {};
  const known = method?.params ?? [];
  const knownNames = new Set(known.map((param) => param.name));
  const extras = Object.keys(params).filter((name) => !knownNames.has(name));
  if (!method) {
    box.append(h("p", { class: "help", text: "Pick a module and a method to see their parameters." }));
  } else if (!known.length && !extras.length) {
    box.append(h("p", { class: "help", text: "This method takes no parameters." }));
  }
  const grid = h("div", { class: "params-grid" });
  for (const param of known) grid.append(paramField(list, index, step, param, false));
  for (const name of extras) {
    grid.append(paramField(list, index, step, { name, type: "any", required: false, default: null, doc: method ? "Not a parameter of this method." : "" }, true));
  }
  box.append(grid);
  return box;
}

/** How a parameter is edited, from its declared types and its current value. */
function paramKind(types, value, referenceMode) {
  const single = types.length === 1 ? types[0] : null;
  if (single === "string") {
    if (value === undefined || typeof value === "string") return typeof value === "string" && value.includes("\n") ? "textarea" : "text";
    return "json";
  }
  if (single === "number" || single === "integer") {
    if (referenceMode || typeof value === "string") return "text";
    return value === undefined || typeof value === "number" ? "number" : "json";
  }
  if (single === "boolean") {
    if (typeof value === "string") return "text";
    return value === undefined || typeof value === "boolean" ? "checkbox" : "json";
  }
  if (types.every((type) => type === "object" || type === "array")) return typeof value === "string" ? "text" : "json";
  return "loose";
}

function paramField(list, index, step, param, extra) {
  const path = `${stepPath(index)}.params.${param.name}`;
  const types = String(param.type || "any").split(" or ").map((type) => type.trim());
  const read = () => (isObject(step.params) ? step.params[param.name] : undefined);
  const value = read();
  const references = formState.reference.get(step) ?? new Set();
  const kind = paramKind(types, value, references.has(param.name));
  const hasDefault = param.default !== null && param.default !== undefined;
  const placeholder = hasDefault ? `default: ${typeof param.default === "string" ? param.default : JSON.stringify(param.default)}` : undefined;
  const write = (next) =>
    model.change(() => {
      if (next === undefined) {
        if (isObject(step.params)) delete step.params[param.name];
      } else {
        if (!isObject(step.params)) step.params = {};
        step.params[param.name] = next;
      }
    }, "form");
  const common = { "data-path": path, "data-key": path, spellcheck: "false", autocomplete: "off", placeholder };
  let control;
  let note = null;
  if (kind === "text") {
    control = h("input", { type: "text", ...common, value: typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value) });
    control.addEventListener("input", () => write(control.value === "" ? undefined : control.value));
    refreshers.push(() => document.activeElement !== control && typeof read() === "string" && (control.value = read()));
  } else if (kind === "textarea") {
    control = h("textarea", { ...common, rows: Math.min(10, Math.max(2, value.split("\n").length)), value });
    control.addEventListener("input", () => write(control.value === "" ? undefined : control.value));
    refreshers.push(() => document.activeElement !== control && typeof read() === "string" && (control.value = read()));
  } else if (kind === "number") {
    control = h("input", { type: "number", ...common, step: types[0] === "integer" ? 1 : "any", value: value === undefined ? "" : String(value) });
    control.addEventListener("input", () => {
      if (control.value === "") return write(undefined);
      const number = control.valueAsNumber;
      if (Number.isFinite(number)) write(number);
    });
  } else if (kind === "checkbox") {
    control = h("input", { type: "checkbox", "data-path": path, "data-key": path, checked: value ?? param.default === true });
    control.addEventListener("change", () => write(control.checked));
    if (value === undefined && hasDefault) note = h("span", { class: "help", text: ` (default: ${JSON.stringify(param.default)})` });
  } else {
    const strict = kind === "json";
    const text = strict ? (value === undefined ? "" : JSON.stringify(value, null, 2)) : looseText(value);
    control = h("textarea", { class: "mono", ...common, rows: Math.min(10, Math.max(1, text.split("\n").length)), value: text });
    const error = h("p", { class: "field-note", hidden: true });
    note = error;
    control.addEventListener("input", () => {
      if (!strict) return write(readLoose(control.value));
      if (control.value.trim() === "") {
        error.hidden = true;
        return write(undefined);
      }
      try {
        const parsed = JSON.parse(control.value);
        error.hidden = true;
        control.removeAttribute("aria-invalid");
        write(parsed);
      } catch (problem) {
        error.hidden = false;
        error.textContent = `Not valid JSON yet: ${problem.message}`;
        control.setAttribute("aria-invalid", "true");
      }
    });
    refreshers.push(() => {
      if (document.activeElement === control) return;
      const current = read();
      control.value = strict ? (current === undefined ? "" : JSON.stringify(current, null, 2)) : looseText(current);
    });
  }
  if (control.tagName !== "SELECT" && (kind === "text" || kind === "textarea" || kind === "loose")) attachCompletion(control, index);

  const label = [
    h("span", { class: "param-name", text: param.name }),
    param.required ? h("span", { class: "required", "aria-hidden": "true", text: " *" }) : null,
    param.required ? h("span", { class: "visually-hidden", text: " (required)" }) : null,
    " ",
    h("span", { class: "type", text: extra ? "not declared" : param.type }),
  ];
  const help = [param.doc, kind === "loose" ? "JSON, or plain text." : ""].filter(Boolean).join(" ");
  let widget = control;
  const numeric = types.length === 1 && (types[0] === "number" || types[0] === "integer");
  if (numeric && (kind === "number" || kind === "text")) {
    const usingReference = kind === "text";
    const switcher = h("button", {
      type: "button", class: "button small subtle ref-toggle", "aria-pressed": String(usingReference), "data-key": `${path}:ref`,
      "aria-label": usingReference ? `Write a number for ${param.name}` : `Write a reference such as @step.key for ${param.name}`,
      title: usingReference ? "Write a number" : "Write a reference (@step.key)",
      onclick: () => {
        const set = formState.reference.get(step) ?? new Set();
        formState.reference.set(step, set);
        if (usingReference) {
          set.delete(param.name);
          const current = read();
          if (typeof current === "string") write(current.trim() !== "" && Number.isFinite(Number(current)) ? Number(current) : undefined);
        } else {
          set.add(param.name);
        }
        renderForm(`${path}:ref`);
      },
    }, usingReference ? "123" : "@");
    widget = h("div", { class: "input-with-button" }, control, switcher);
  }
  const container = kind === "checkbox"
    ? h("div", { class: "field param-field check-field", "data-param": param.name },
      h("div", { class: "check" }, control, h("label", { for: control.id || (control.id = uid("param")) }, label), note))
    : field(label, widget, { help, input: control });
  if (kind === "checkbox" && help) {
    const helpId = uid("help");
    control.setAttribute("aria-describedby", helpId);
    container.append(h("p", { class: "help", id: helpId, text: help }));
  }
  if (kind !== "checkbox") {
    container.classList.add("param-field");
    container.dataset.param = param.name;
    if (note) container.append(note);
    if (kind === "json" || kind === "loose" || kind === "textarea") container.classList.add("wide");
  }
  if (extra) {
    container.append(h("button", {
      type: "button", class: "button small subtle", "data-key": `${path}:remove`, "aria-label": `Remove parameter ${param.name}`,
      onclick: () => {
        model.change(() => delete step.params[param.name]);
      },
    }, "Remove parameter"));
  }
  return container;
}

/** A labelled control; `input` is the element the label names when `control` wraps it. */
function field(labelContent, control, { help, input } = {}) {
  const target = input ?? control;
  if (!target.id) target.id = uid("field");
  const parts = [h("label", { for: target.id }, labelContent), control];
  if (help) {
    const helpId = uid("help");
    target.setAttribute("aria-describedby", helpId);
    parts.push(h("p", { class: "help", id: helpId, text: help }));
  }
  return h("div", { class: "field" }, parts);
}

function numberInput(value, { min, step, placeholder, path }, onValue) {
  const input = h("input", {
    type: typeof value === "string" ? "text" : "number", min, step, placeholder, "data-path": path, "data-key": path,
    value: value === undefined ? "" : String(value),
  });
  input.addEventListener("input", () => {
    if (input.value === "") return onValue(undefined);
    if (input.type === "text") return onValue(input.value);
    const number = input.valueAsNumber;
    if (Number.isFinite(number)) onValue(number);
  });
  return input;
}

function choiceSelect(value, choices, path, onValue) {
  const select = h("select", { "data-path": path, "data-key": path }, choices.map(([choice, text]) => h("option", { value: choice, text })));
  if (value !== undefined && !choices.some(([choice]) => choice === value)) select.append(h("option", { value: String(value), text: `${value} (unknown)` }));
  select.value = value === undefined ? "" : String(value);
  select.addEventListener("change", () => onValue(select.value === "" ? undefined : select.value));
  return select;
}

// --- Advanced step fields

function advancedSummary(list, index, step) {
  const bits = [];
  if (Array.isArray(step.depends_on)) bits.push(step.depends_on.length ? `after ${step.depends_on.join(", ")}` : "starts at once");
  else bits.push(index === 0 ? "starts first" : "after the previous step");
  if (step.when !== undefined) bits.push("when …");
  if (step.retry !== undefined) bits.push(`retry ${typeof step.retry === "number" ? step.retry : step.retry?.count ?? "…"}`);
  if (step.timeout !== undefined) bits.push(`timeout ${step.timeout} s`);
  if (step.on_error !== undefined) bits.push(`on error ${step.on_error}`);
  if (step.foreach !== undefined) bits.push("for each item");
  if (step.disabled === true) bits.push("disabled");
  return bits.join(" · ");
}

function buildAdvanced(list, index, step) {
  const path = stepPath(index);
  const summaryText = h("span", { class: "muted advanced-summary", text: advancedSummary(list, index, step) });
  const details = h("details", { class: "step-advanced", open: formState.advanced.has(step) },
    h("summary", { "data-key": `${path}:advanced` }, h("span", { text: "Advanced" }), summaryText));
  details.addEventListener("toggle", () => (details.open ? formState.advanced.add(step) : formState.advanced.delete(step)));
  const changed = () => (summaryText.textContent = advancedSummary(stepsOf(model.doc), index, step));
  const set = (key, value, structural = false) => {
    model.change(() => setKey(step, key, value), structural ? null : "form");
    changed();
  };

  // depends_on: the previous step by default, or a chosen set of steps.
  const implicit = !Array.isArray(step.depends_on);
  const dependsBox = h("fieldset", { class: "depends" }, h("legend", { text: "Runs after" }));
  const implicitId = uid("dep");
  const implicitBox = h("input", {
    type: "checkbox", id: implicitId, checked: implicit, "data-path": `${path}.depends_on`, "data-key": `${path}.depends_on`,
    onchange: (event) => {
      model.change((doc) => {
        if (event.target.checked) delete step.depends_on;
        else materialiseDependencies(stepsOf(doc), index);
        syncConnections(doc);
      });
    },
  });
  dependsBox.append(h("div", { class: "check" }, implicitBox,
    h("label", { for: implicitId, text: index === 0 ? "Start first (the default for the first step)" : "The previous step in the list (default)" })));
  const current = dependenciesOf(list, index);
  const names = list.map(stepName).filter((name, position) => name && position !== index && list.findIndex((other) => stepName(other) === name) === position);
  const missing = current.filter((name) => !names.includes(name));
  const options = h("div", { class: "depends-options", role: "group", "aria-label": "Steps this one waits for" });
  for (const name of [...names, ...missing]) {
    const id = uid("dep");
    const box = h("input", {
      type: "checkbox", id, checked: current.includes(name), disabled: implicit, "data-dep": name, "data-key": `${path}.depends_on:${name}`,
      onchange: (event) => {
        // The name as the box carries it now (a rename elsewhere updates it in place).
        const dep = event.target.dataset.dep;
        model.change((doc) => {
          const dependencies = materialiseDependencies(stepsOf(doc), index);
          if (event.target.checked && !dependencies.includes(dep)) dependencies.push(dep);
          if (!event.target.checked) step.depends_on = dependencies.filter((other) => other !== dep);
          syncConnections(doc);
        }, "form");
        changed();
      },
    });
    options.append(h("div", { class: "check" }, box, h("label", { for: id }, name, missing.includes(name) ? h("span", { class: "muted", text: " (no such step)" }) : null)));
  }
  if (!names.length && !missing.length) options.append(h("p", { class: "help", text: "There are no other steps." }));
  dependsBox.append(options);

  const when = h("input", { type: "text", value: typeof step.when === "string" ? step.when : step.when === undefined ? "" : JSON.stringify(step.when), "data-path": `${path}.when`, "data-key": `${path}.when`, spellcheck: "false", autocomplete: "off", placeholder: "@check.exit_code == 0" });
  when.addEventListener("input", () => set("when", when.value === "" ? undefined : when.value));
  attachCompletion(when, index);

  const foreach = h("input", { type: "text", value: looseText(step.foreach).replace(/\n\s*/g, " "), "data-path": `${path}.foreach`, "data-key": `${path}.foreach`, spellcheck: "false", autocomplete: "off", placeholder: "@list.data" });
  foreach.addEventListener("input", () => set("foreach", readLoose(foreach.value)));
  attachCompletion(foreach, index);

  const retry = typeof step.retry === "number" ? { count: step.retry } : isObject(step.retry) ? step.retry : {};
  const setRetry = (key, value) => {
    model.change(() => {
      if (typeof step.retry === "number" && key === "count") return setKey(step, "retry", value);
      const next = typeof step.retry === "number" ? { count: step.retry } : isObject(step.retry) ? step.retry : {};
      setKey(next, key, value);
      setKey(step, "retry", Object.keys(next).length ? next : undefined);
    }, "form");
    changed();
  };
  const retryCount = numberInput(retry.count, { min: 0, step: 1, placeholder: "0", path: `${path}.retry.count` }, (value) => setRetry("count", value));
  const retryDelay = numberInput(retry.delay, { min: 0, step: "any", placeholder: "0", path: `${path}.retry.delay` }, (value) => setRetry("delay", value));
  const backoff = choiceSelect(retry.backoff, [["", "fixed (default)"], ["fixed", "fixed"], ["exponential", "exponential"]], `${path}.retry.backoff`, (value) => setRetry("backoff", value));
  const retryBox = h("fieldset", { class: "retry", "data-path": `${path}.retry` }, h("legend", { text: "Retry after a failure" }),
    h("div", { class: "retry-grid" }, field("Retries", retryCount), field("Delay (s)", retryDelay), field("Backoff", backoff)));

  const timeout = numberInput(step.timeout, { min: 0, step: "any", placeholder: "none", path: `${path}.timeout` }, (value) => set("timeout", value));
  const onError = choiceSelect(step.on_error, [["", "as the workflow says"], ["fail", "fail the run"], ["continue", "continue"]], `${path}.on_error`, (value) => set("on_error", value));
  const maxParallel = numberInput(step.max_parallel, { min: 1, step: 1, placeholder: "1", path: `${path}.max_parallel` }, (value) => set("max_parallel", value));
  const description = h("input", { type: "text", value: typeof step.description === "string" ? step.description : "", "data-path": `${path}.description`, "data-key": `${path}.description` });
  description.addEventListener("input", () => set("description", description.value === "" ? undefined : description.value));
  const disabledId = uid("disabled");
  const disabled = h("input", {
    type: "checkbox", id: disabledId, checked: step.disabled === true, "data-path": `${path}.disabled`, "data-key": `${path}.disabled`,
    onchange: (event) => {
      set("disabled", event.target.checked ? true : undefined);
      details.closest(".step-card")?.querySelector(".step-head .badge:not(.step-issues)")?.toggleAttribute("hidden", !event.target.checked);
    },
  });

  details.append(h("div", { class: "advanced-grid" },
    dependsBox,
    h("div", { class: "advanced-fields" },
      field("Run only when", when, { help: "A condition such as @check.exit_code == 0 or @var.env != 'prod'. Type @ for references." }),
      field("For each item of", foreach, { help: "A reference to an array: the step runs once per item, with @item and @index." }),
      field("Items at once", maxParallel, { help: "With for each: how many items run at the same time." }),
      retryBox,
      h("div", { class: "settings-grid" },
        field("Timeout (s)", timeout, { help: "Limit for each attempt." }),
        field("When it fails", onError)),
      field("Description", description),
      h("div", { class: "check" }, disabled, h("label", { for: disabledId, text: "Disabled: skip this step" })))));
  return details;
}

// --- Reference completion: typing @ or ${ in a text field offers upstream steps and variables

const completion = { input: null, list: null, options: [], active: -1, token: null, stepIndex: 0 };

function attachCompletion(input, stepIndex) {
  const listId = uid("refs");
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", listId);
  input.dataset.completionList = listId;
  input.addEventListener("input", () => updateCompletion(input, stepIndex));
  input.addEventListener("keydown", (event) => completionKey(event, input));
  input.addEventListener("blur", () => closeCompletion(input));
}

/** The reference being typed just before the caret: `@na` or `${na`. */
function tokenBeforeCaret(input) {
  const end = input.selectionStart ?? input.value.length;
  const match = /(@|\$\{)([A-Za-z0-9_.\-[\]]*)$/.exec(input.value.slice(0, end));
  if (!match || (match[1] === "@" && match.index > 0 && input.value[match.index - 1] === "@")) return null;
  return { start: match.index, end, text: match[0], kind: match[1] };
}

function referenceSuggestions(stepIndex, kind) {
  const doc = model.doc;
  const list = stepsOf(doc);
  const step = list[stepIndex];
  const names = upstreamOf(list, stepIndex).map((index) => stepName(list[index])).filter(Boolean);
  const variables = [...new Set([...Object.keys(isObject(doc.variables) ? doc.variables : {}), ...Object.keys(isObject(doc.inputs) ? doc.inputs : {})])];
  const open = kind === "@" ? "@" : "${";
  const close = kind === "@" ? "" : "}";
  const options = names.map((name) => ({ text: `${open}${name}.`, hint: "step result" }));
  for (const name of variables) options.push({ text: `${open}var.${name}${close}`, hint: "variable" });
  if (isObject(step) && step.foreach !== undefined) {
    options.push({ text: `${open}item${close}`, hint: "current item" }, { text: `${open}index${close}`, hint: "item number" });
  }
  options.push({ text: `${open}sys.`, hint: "system variable" });
  return options;
}

function updateCompletion(input, stepIndex) {
  const token = tokenBeforeCaret(input);
  if (!token) return closeCompletion(input);
  const options = referenceSuggestions(stepIndex, token.kind).filter((option) => option.text.startsWith(token.text) && option.text !== token.text).slice(0, 8);
  if (!options.length) return closeCompletion(input);
  completion.input = input;
  completion.token = token;
  completion.options = options;
  completion.active = 0;
  let list = document.getElementById(input.dataset.completionList);
  if (!list) {
    list = h("ul", { class: "ref-suggestions", id: input.dataset.completionList, role: "listbox", "aria-label": "References" });
    input.insertAdjacentElement("afterend", list);
  }
  completion.list = list;
  list.replaceChildren(...options.map((option, position) =>
    h("li", {
      role: "option", id: `${list.id}-${position}`, "aria-selected": String(position === 0), "data-ref": option.text,
      onmousedown: (event) => {
        event.preventDefault();
        acceptCompletion(position);
      },
    }, h("code", { text: option.text }), h("span", { class: "muted", text: option.hint }))));
  list.hidden = false;
  // Under the input, in the field (the nearest positioned box of both).
  list.style.top = `${input.offsetTop + input.offsetHeight + 2}px`;
  list.style.left = `${input.offsetLeft}px`;
  list.style.minWidth = `${Math.min(Math.max(input.offsetWidth, 200), 360)}px`;
  input.setAttribute("aria-expanded", "true");
  input.setAttribute("aria-activedescendant", `${list.id}-0`);
}

function closeCompletion(input) {
  const list = document.getElementById(input.dataset.completionList);
  if (list) list.hidden = true;
  input.setAttribute("aria-expanded", "false");
  input.removeAttribute("aria-activedescendant");
  if (completion.input === input) completion.input = null;
}

function completionKey(event, input) {
  if (completion.input !== input || completion.list?.hidden) return;
  const count = completion.options.length;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    completion.active = (completion.active + (event.key === "ArrowDown" ? 1 : count - 1)) % count;
    completion.list.querySelectorAll("[role=option]").forEach((option, position) => option.setAttribute("aria-selected", String(position === completion.active)));
    input.setAttribute("aria-activedescendant", `${completion.list.id}-${completion.active}`);
  } else if (event.key === "Enter" || event.key === "Tab") {
    if (completion.active < 0) return;
    event.preventDefault();
    acceptCompletion(completion.active);
  } else if (event.key === "Escape") {
    event.preventDefault();
    event.stopPropagation();
    closeCompletion(input);
  }
}

function acceptCompletion(position) {
  const { input, token } = completion;
  const option = completion.options[position];
  if (!input || !token || !option) return;
  input.value = input.value.slice(0, token.start) + option.text + input.value.slice(token.end);
  const caret = token.start + option.text.length;
  input.setSelectionRange(caret, caret);
  closeCompletion(input);
  input.dispatchEvent(new Event("input", { bubbles: true }));
  closeCompletion(input);
}

// ---------------------------------------------------------------------------------------------
// Visual view

let canvas = null;
let canvasBox = null;
let visualIds = [];
let selectedNode = null;
const visualButtons = {};

function buildVisual() {
  const button = (key, text, run, className = "") => (visualButtons[key] = h("button", { type: "button", class: `button small ${className}`, onclick: run }, text));
  const bar = h("div", { class: "visual-bar" },
    button("add", "+ Add step", () => addStep("visual"), "primary"),
    button("open", "Edit step", () => selectedNode !== null && openStep(visualIds[selectedNode])),
    button("remove", "Remove step", () => {
      if (selectedNode === null) return;
      const index = selectedNode;
      model.change((doc) => removeStep(doc, index));
    }, "danger"),
    h("p", { class: "help", text: "Drag from a step's right-hand dot to another step to make it wait for that step. Select a line and press Delete to remove it. Double-click a step (or press Enter) to edit it." }));
  canvasBox = h("div", { class: "editor-canvas" });
  panels.visual.append(bar, canvasBox);
  canvas = new WorkflowCanvas(canvasBox, {
    onChange: canvasChanged,
    onSelect: (selection) => {
      selectedNode = selection?.type === "node" ? indexOfNode(selection.id) : null;
      updateVisualButtons();
    },
    onOpen: openStep,
  });
}

function indexOfNode(id) {
  const index = visualIds.indexOf(id);
  return index < 0 ? null : index;
}

function updateVisualButtons() {
  if (!visualButtons.open) return;
  const selection = canvas?.selected;
  selectedNode = selection?.type === "node" ? indexOfNode(selection.id) : null;
  visualButtons.open.disabled = selectedNode === null;
  visualButtons.remove.disabled = selectedNode === null;
}

/** The canvas's graph for the document: steps, their dependencies (implicit ones too), positions and problems. */
function graphOf(doc) {
  const list = stepsOf(doc);
  const seen = new Set();
  visualIds = list.map((step, index) => {
    const name = stepName(step);
    if (name && !seen.has(name)) {
      seen.add(name);
      return name;
    }
    return `\u2063step-${index}`;
  });
  const byName = indexByName(list);
  const problems = issuesByStep();
  const nodes = list.map((step, index) => {
    const mod = isObject(step) && typeof step.mod === "string" ? step.mod : "";
    const method = isObject(step) && typeof step.method === "string" ? step.method : "";
    const category = mod.split(".")[0];
    return {
      id: visualIds[index],
      title: stepName(step) || `Step ${index + 1}`,
      subtitle: [mod, method].filter(Boolean).join(" · "),
      icon: category ? category[0].toUpperCase() + category.slice(1, 2) : "?",
      problems: (problems.get(index) ?? []).map((issue) => `${issue.path.replace(/^procedures\[\d+\]\.?/, "") || "step"}: ${issue.message}`),
    };
  });
  const edges = [];
  list.forEach((_, index) => {
    for (const name of dependenciesOf(list, index)) {
      const from = byName.get(name);
      if (from !== undefined) edges.push({ from: visualIds[from], to: visualIds[index] });
    }
  });
  const positions = {};
  const saved = isObject(doc._positions) ? doc._positions : {};
  list.forEach((step, index) => {
    const point = saved[stepName(step)];
    if (isObject(point) && Number.isFinite(point.x) && Number.isFinite(point.y) && visualIds[index] === stepName(step)) positions[visualIds[index]] = { x: point.x, y: point.y };
  });
  return { nodes, edges, positions };
}

function renderVisual() {
  if (!canvas) buildVisual();
  canvas.setGraph(graphOf(model.doc));
  updateVisualButtons();
}

function canvasChanged(change) {
  const list = stepsOf(model.doc);
  if (change.type === "move") {
    model.change((doc) => {
      if (!isObject(doc._positions)) doc._positions = {};
      for (const [id, point] of Object.entries(change.positions)) {
        const index = indexOfNode(id);
        if (index === null || id !== stepName(list[index])) continue;
        const existing = doc._positions[id];
        if (isObject(existing)) {
          existing.x = point.x;
          existing.y = point.y;
        } else {
          doc._positions[id] = { x: point.x, y: point.y };
        }
      }
    }, "visual");
    return;
  }
  if (change.type === "delete") {
    const index = indexOfNode(change.id);
    if (index === null) return;
    const name = stepName(list[index]);
    model.change((doc) => removeStep(doc, index));
    announce(`Removed step ${name || index + 1}.`);
    return;
  }
  const from = indexOfNode(change.from);
  const to = indexOfNode(change.to);
  if (from === null || to === null || !isObject(list[to])) return;
  const fromName = stepName(list[from]);
  if (!fromName || visualIds[from] !== fromName) return;
  model.change((doc) => {
    const steps = stepsOf(doc);
    const dependencies = materialiseDependencies(steps, to);
    if (change.type === "connect" && !dependencies.includes(fromName)) dependencies.push(fromName);
    if (change.type === "disconnect") steps[to].depends_on = dependencies.filter((name) => name !== fromName);
    syncConnections(doc);
  });
  if (change.type === "disconnect") announce(`${stepName(list[to])} no longer waits for ${fromName}.`);
}

/** Shows step `id` (a canvas node id) in the form, its card scrolled into view and its name focused. */
function openStep(id) {
  const index = indexOfNode(id);
  if (index === null || !switchView("form")) return;
  const card = document.getElementById(`step-${index}`);
  card?.scrollIntoView({ block: "start" });
  const input = card?.querySelector(".step-name") ?? card?.querySelector("button");
  input?.focus({ preventScroll: true });
}

// ---------------------------------------------------------------------------------------------
// JSON view

let codeMirror = null;
const json = { error: null, timer: 0, setting: false, errorLine: null };

function setupJSON() {
  if (typeof window.CodeMirror === "function") {
    codeMirror = window.CodeMirror.fromTextArea(jsonText, {
      mode: "application/json",
      lineNumbers: true,
      matchBrackets: true,
      autoCloseBrackets: true,
      foldGutter: true,
      gutters: ["CodeMirror-linenumbers", "CodeMirror-foldgutter"],
      tabSize: 2,
      indentUnit: 2,
      lineWrapping: false,
      // Tab leaves the editor (no keyboard trap); Ctrl+] and Ctrl+[ indent.
      extraKeys: { Tab: false, "Shift-Tab": false },
    });
    codeMirror.getInputField().setAttribute("aria-label", "The workflow as JSON");
    codeMirror.on("changes", () => json.setting || scheduleParse());
  } else {
    jsonText.addEventListener("input", () => json.setting || scheduleParse());
  }
}

function jsonValue() {
  return codeMirror ? codeMirror.getValue() : jsonText.value;
}

function renderJSON() {
  json.setting = true;
  try {
    const text = JSON.stringify(model.doc, null, 2);
    if (codeMirror) codeMirror.setValue(text);
    else jsonText.value = text;
  } finally {
    json.setting = false;
  }
  setParseError(null);
}

function scheduleParse() {
  clearTimeout(json.timer);
  json.pending = true;
  updateState();
  json.timer = setTimeout(parseJSON, 350);
}

/** Reads the JSON text into the model; false (with the error shown) when it does not parse. */
function parseJSON() {
  clearTimeout(json.timer);
  if (!json.pending) return json.error === null;
  const text = jsonValue();
  let parsed;
  try {
    parsed = JSON.parse(text);
    if (!isObject(parsed)) throw Object.assign(new Error("The workflow must be a JSON object: { \"procedures\": [ … ] }"), { offset: text.search(/\S/) });
  } catch (error) {
    setParseError(locateParseError(text, error));
    json.pending = false;
    updateState();
    return false;
  }
  json.pending = false;
  setParseError(null);
  if (JSON.stringify(parsed) !== JSON.stringify(model.doc)) model.replace(parsed, "json");
  else updateState();
  return true;
}

/** The parse error with its line and column, found by scanJSON (JSON.parse does not say where in every browser). */
function locateParseError(text, error) {
  let offset = error.offset;
  let message = error.message;
  if (offset === undefined) {
    try {
      scanJSON(text);
    } catch (scanned) {
      offset = scanned.offset;
      message = scanned.message;
    }
  }
  offset = Math.max(0, Math.min(offset ?? 0, text.length));
  const before = text.slice(0, offset).split("\n");
  return { message, offset, line: before.length, column: before[before.length - 1].length + 1 };
}

function setParseError(error) {
  json.error = error;
  if (codeMirror) {
    if (json.errorLine !== null) codeMirror.removeLineClass(json.errorLine, "background", "cm-json-error");
    json.errorLine = error ? codeMirror.addLineClass(error.line - 1, "background", "cm-json-error") : null;
  } else if (error) {
    jsonText.setAttribute("aria-invalid", "true");
  } else {
    jsonText.removeAttribute("aria-invalid");
  }
  renderProblems();
}

/** Selects text offsets [start, end) of the JSON text and focuses it. */
function focusJSON(start, end = start) {
  if (codeMirror) {
    const from = codeMirror.posFromIndex(start);
    codeMirror.focus();
    codeMirror.setSelection(from, codeMirror.posFromIndex(end));
    codeMirror.scrollIntoView({ from, to: codeMirror.posFromIndex(end) }, 80);
  } else {
    jsonText.focus();
    jsonText.setSelectionRange(start, end);
  }
}

/**
 * Checks JSON text and returns where each value is: path (`procedures[1].params.msg`) → {start, end}
 * offsets. Throws an Error with `offset` at the first mistake.
 */
function scanJSON(text) {
  const spans = new Map();
  let i = 0;
  const fail = (message) => {
    throw Object.assign(new Error(message), { offset: i });
  };
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const string = () => {
    const start = i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail("A line break or control character inside a string must be escaped (\\n)");
      if (text[i] === "\\") {
        const next = text[i + 1];
        if (next === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail("\\u must be followed by four hexadecimal digits");
          i += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) {
          i += 2;
        } else {
          fail("Unknown escape in a string");
        }
      } else {
        i++;
      }
    }
    if (i >= text.length) {
      i = start;
      fail("This string is never closed");
    }
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const value = (path) => {
    space();
    const start = i;
    const c = text[i];
    if (c === "{") object(path);
    else if (c === "[") array(path);
    else if (c === '"') string();
    else if (c === "-" || (c >= "0" && c <= "9")) {
      const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
      number.lastIndex = i;
      if (!number.exec(text)) fail("Not a valid number");
      i = number.lastIndex;
    } else {
      const word = ["true", "false", "null"].find((candidate) => text.startsWith(candidate, i));
      if (!word) fail(c === undefined ? "The text ends too early" : `Unexpected ${c === "'" ? "' (strings need double quotes)" : `'${c}'`}`);
      i += word.length;
    }
    spans.set(path, { start, end: i });
  };
  const object = (path) => {
    i++;
    space();
    if (text[i] === "}") return i++;
    for (;;) {
      space();
      if (text[i] !== '"') fail(text[i] === "}" ? "A comma before } is not allowed" : "Expected a property name in double quotes");
      const key = string();
      space();
      if (text[i] !== ":") fail("Expected ':' after the property name");
      i++;
      value(path ? `${path}.${key}` : key);
      space();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "}") return i++;
      fail("Expected ',' or '}' after a property value");
    }
  };
  const array = (path) => {
    i++;
    space();
    if (text[i] === "]") return i++;
    for (let n = 0; ; n++) {
      space();
      if (text[i] === "]") fail("A comma before ] is not allowed");
      value(`${path}[${n}]`);
      space();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "]") return i++;
      fail("Expected ',' or ']' after an item");
    }
  };
  value("");
  space();
  if (i < text.length) fail("Unexpected text after the end of the document");
  return spans;
}

/** Each candidate path for a problem: the path itself, then its parents (`a.b[1]` → `a.b` → `a`). */
function pathCandidates(path) {
  const candidates = [];
  let current = path;
  while (current) {
    candidates.push(current);
    const cut = Math.max(current.lastIndexOf("."), current.lastIndexOf("["));
    current = cut > 0 ? current.slice(0, cut) : "";
  }
  return candidates;
}

function jumpInJSON(path) {
  let spans;
  try {
    spans = scanJSON(jsonValue());
  } catch {
    return focusJSON(json.error?.offset ?? 0);
  }
  for (const candidate of pathCandidates(path)) {
    const span = spans.get(candidate);
    if (span) return focusJSON(span.start, span.end);
  }
  focusJSON(0);
}

// ---------------------------------------------------------------------------------------------
// Problems: validation, parse and save errors

const validation = { timer: 0, sequence: 0, issues: [], unavailable: null };
let saveError = null;

function scheduleValidation(delay = 500) {
  clearTimeout(validation.timer);
  validation.timer = setTimeout(validate, delay);
}

async function validate() {
  const sequence = ++validation.sequence;
  try {
    const result = await api("POST", paths.validate, { document: model.doc });
    if (sequence !== validation.sequence) return;
    validation.issues = Array.isArray(result?.issues) ? result.issues : [];
    validation.unavailable = null;
  } catch (error) {
    if (sequence !== validation.sequence) return;
    validation.unavailable = error.message;
  }
  issuesChanged();
}

function issuesByStep() {
  const map = new Map();
  for (const issue of validation.issues) {
    const index = stepIndexOf(issue.path);
    if (index === null) continue;
    if (!map.has(index)) map.set(index, []);
    map.get(index).push(issue);
  }
  return map;
}

let drawnIssues = "[]";

function issuesChanged() {
  renderProblems();
  applyIssuesToForm();
  // Redraw the canvas only when its problem markers change: a redraw ends a drag in progress.
  const text = JSON.stringify(validation.issues);
  if (text !== drawnIssues) {
    drawnIssues = text;
    if (currentView === "visual") renderVisual();
    else views.visual.stale = true;
  }
  root.dataset.validated = String(validation.sequence);
}

function renderProblems() {
  const sections = [];
  if (json.error) {
    const { line, column, message, offset } = json.error;
    sections.push(problemSection("The JSON does not parse", "Fix it to go on; the other views show the last valid version.", [
      { label: `line ${line}, column ${column}`, message, run: () => {
        if (currentView !== "json") switchView("json", { force: true });
        focusJSON(offset);
      } },
    ]));
  }
  if (saveError) sections.push(problemSection(saveError.title, saveError.message, (saveError.issues ?? []).map(issueItem), "is-error"));
  if (validation.issues.length && !(saveError?.issues?.length)) {
    sections.push(problemSection(`${plural(validation.issues.length, "problem")} to fix before saving`, null, validation.issues.map(issueItem)));
  }
  if (validation.unavailable && !validation.issues.length) {
    sections.push(problemSection("The workflow could not be checked", validation.unavailable, []));
  }
  problemsBox.hidden = sections.length === 0;
  problemsBox.replaceChildren(...sections);
}

function issueItem(issue) {
  const index = stepIndexOf(issue.path);
  const name = index !== null ? stepName(stepsOf(model.doc)[index]) : "";
  return { label: issue.path, step: name, message: issue.message, path: issue.path, run: () => jumpTo(issue.path) };
}

function problemSection(title, text, items, className = "") {
  const list = h("ul", { class: "problem-list" }, items.map((item) =>
    h("li", {}, h("button", { type: "button", class: "problem-link", "data-problem-path": item.path ?? "", onclick: item.run },
      h("code", { class: "problem-path", text: item.label }),
      item.step ? h("span", { class: "problem-step", text: item.step }) : null,
      h("span", { class: "problem-message", text: item.message })))));
  return h("section", { class: `problem-section ${className}` },
    h("h2", { class: "problem-title", text: title }), text ? h("p", { class: "problem-text", text }) : null, items.length ? list : null);
}

/** Marks the form's fields that have problems, with the message beside each. */
function applyIssuesToForm() {
  const form = panels.form;
  form.querySelectorAll(".field-issue").forEach((node) => node.remove());
  form.querySelectorAll("[aria-invalid=true][data-issue]").forEach((node) => {
    node.removeAttribute("aria-invalid");
    delete node.dataset.issue;
  });
  form.querySelectorAll(".has-issues").forEach((node) => node.classList.remove("has-issues"));
  const counts = new Map();
  for (const issue of validation.issues) {
    const index = stepIndexOf(issue.path);
    if (index !== null) counts.set(index, (counts.get(index) ?? 0) + 1);
    const target = formTarget(issue.path);
    if (!target) continue;
    if (target.matches("input, select, textarea")) {
      target.setAttribute("aria-invalid", "true");
      target.dataset.issue = "true";
    }
    const holder = target.closest(".field, fieldset, .check") ?? target.parentElement;
    holder.append(h("p", { class: "field-issue", text: issue.message }));
    target.closest("details")?.classList.add("has-issues");
  }
  form.querySelectorAll(".step-card").forEach((card) => {
    const count = counts.get(Number(card.dataset.index)) ?? 0;
    card.classList.toggle("has-issues", count > 0);
    const badge = card.querySelector(".step-issues");
    badge.hidden = count === 0;
    badge.textContent = plural(count, "problem");
  });
}

/** The form control for a problem path, or its nearest parent's. */
function formTarget(path) {
  for (const candidate of pathCandidates(path)) {
    const target = panels.form.querySelector(`[data-path="${CSS.escape(candidate)}"]`);
    if (target) return target.matches(".step-card") ? target.querySelector(".step-name") ?? target : target;
  }
  return null;
}

/** Shows where a problem is: the field in the form, the node on the canvas, the text in the JSON. */
function jumpTo(path) {
  if (currentView === "json") return jumpInJSON(path);
  const index = stepIndexOf(path);
  if (currentView === "visual" && index !== null && canvas) {
    const id = visualIds[index];
    canvas.select(id);
    updateVisualButtons();
    canvasBox.querySelector(`.wf-node[data-id="${CSS.escape(id)}"]`)?.focus();
    return;
  }
  if (currentView !== "form" && !switchView("form")) return;
  const target = formTarget(path);
  if (!target) return;
  const details = target.closest("details");
  if (details && !details.open) details.open = true;
  target.scrollIntoView({ block: "center" });
  (target.matches("input, select, textarea, button, summary") ? target : target.querySelector("input, select, textarea, button"))?.focus({ preventScroll: true });
}

// ---------------------------------------------------------------------------------------------
// Tabs

/** Shows view `name`; leaving JSON that does not parse asks first. False when the switch did not happen. */
function switchView(name, { force = false } = {}) {
  if (name === currentView) return true;
  if (currentView === "json" && !force && !parseJSON()) {
    const { line, column, message } = json.error;
    const discard = window.confirm(
      `The JSON has an error at line ${line}, column ${column}: ${message}\n\n` +
        "OK discards this edit and goes back to the last valid version. Cancel stays here to fix it.");
    if (!discard) {
      focusJSON(json.error.offset);
      return false;
    }
    setParseError(null);
    views.json.stale = true;
    updateState();
  }
  currentView = name;
  for (const [key, tab] of Object.entries(tabs)) {
    const selected = key === name;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    panels[key].hidden = !selected;
  }
  if (views[name].stale) {
    views[name].stale = false;
    views[name].render();
  }
  if (name === "json" && codeMirror) {
    codeMirror.refresh();
    // The fold gutter measured nothing while the view was hidden; setting the option again redraws it now.
    codeMirror.setOption("foldGutter", false);
    codeMirror.setOption("foldGutter", true);
  }
  root.dataset.view = name;
  // A long form may have been scrolled far: show the new view from its top, under the sticky bar.
  const bar = root.querySelector(".editor-bar").getBoundingClientRect();
  const top = problemsBox.hidden ? panels[name] : problemsBox;
  if (top.getBoundingClientRect().top < bar.bottom) window.scrollTo({ top: 0 });
  return true;
}

function setupTabs() {
  const order = ["form", "visual", "json"];
  for (const [name, tab] of Object.entries(tabs)) {
    tab.tabIndex = name === currentView ? 0 : -1;
    tab.addEventListener("click", () => switchView(name));
    tab.addEventListener("keydown", (event) => {
      const at = order.indexOf(name);
      const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: order.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      const target = order[(next + order.length) % order.length];
      if (switchView(target)) tabs[target].focus();
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Saving, running and the unsaved-changes guard

let savedText = JSON.stringify(model.doc);
let savedVersion = null;
let saving = false;

function isDirty() {
  return json.pending || json.error !== null || JSON.stringify(model.doc) !== savedText;
}

function updateState() {
  const dirty = isDirty();
  stateLabel.classList.toggle("is-dirty", dirty && !saving);
  if (saving) stateLabel.textContent = "Saving…";
  else if (dirty) stateLabel.textContent = "Unsaved changes";
  else if (savedVersion !== null) stateLabel.textContent = `Saved as version ${savedVersion}`;
  else stateLabel.textContent = isCreate ? "Not saved yet" : "No changes";
}

function nameProblem(name) {
  if (!name) return "Give the workflow a name.";
  if (name.length > 128) return "The name is too long: 128 characters at most.";
  if (!NAME_PATTERN.test(name)) return "Use letters, digits, dots, dashes and underscores only.";
  return null;
}

function showNameError(message) {
  let error = document.getElementById("flow-name-error");
  if (!error) {
    error = h("p", { class: "name-error", id: "flow-name-error", role: "alert" });
    nameInput.insertAdjacentElement("afterend", error);
  }
  error.hidden = !message;
  error.textContent = message ?? "";
  if (message) {
    nameInput.setAttribute("aria-invalid", "true");
    nameInput.setAttribute("aria-describedby", "flow-name-error");
  } else {
    nameInput.removeAttribute("aria-invalid");
    nameInput.removeAttribute("aria-describedby");
  }
}

function setBusy(button, busy) {
  if (!button) return;
  button.classList.toggle("is-busy", busy);
  if (busy) button.setAttribute("aria-busy", "true");
  else button.removeAttribute("aria-busy");
}

/** Saves the document (create or a new version); true when it was saved. */
async function save() {
  if (saving) return false;
  if (!parseJSON()) {
    saveError = { title: "Not saved", message: "The JSON does not parse; fix it first." };
    renderProblems();
    if (currentView === "json") focusJSON(json.error.offset);
    return false;
  }
  const name = isCreate ? nameInput.value.trim() : data.name;
  if (isCreate) {
    const problem = nameProblem(name);
    showNameError(problem);
    if (problem) {
      nameInput.focus();
      return false;
    }
  }
  saving = true;
  saveError = null;
  setBusy(saveButton, true);
  updateState();
  renderProblems();
  const text = JSON.stringify(model.doc);
  try {
    if (isCreate) {
      await api("POST", paths.create, { name, document: model.doc });
      savedText = text;
      savedVersion = 1;
      location.assign(`/workflows/${encodeURIComponent(name)}/edit/`);
      return true;
    }
    const comment = commentInput?.value.trim();
    const result = await api("PUT", paths.flow, comment ? { document: model.doc, comment } : { document: model.doc });
    savedText = text;
    savedVersion = result?.current_version ?? result?.version ?? (data.version ?? 0) + 1;
    data.version = savedVersion;
    if (versionBadge) versionBadge.textContent = `v${savedVersion}`;
    if (commentInput) commentInput.value = "";
    announce(`Saved as version ${savedVersion}.`);
    return true;
  } catch (error) {
    reportSaveError(error, name);
    return false;
  } finally {
    saving = false;
    setBusy(saveButton, false);
    updateState();
  }
}

function reportSaveError(error, name) {
  const details = Array.isArray(error.details) ? error.details.filter((issue) => issue && typeof issue.path === "string") : [];
  const nameIssue = details.find((issue) => issue.path === "name");
  if (isCreate && (error.status === 409 || nameIssue || /name/i.test(error.message ?? "") && error.status === 400 && !details.length)) {
    const message = error.status === 409 ? `A workflow named ${name} already exists; choose another name.` : nameIssue?.message ?? error.message;
    showNameError(message);
    saveError = { title: "Not saved", message: `Name: ${message}` };
  } else if (error.status === 400 && details.length) {
    validation.issues = details;
    saveError = { title: `Not saved: ${plural(details.length, "problem")} to fix`, message: "The server refused the workflow. Each problem names its field; select one to go there.", issues: details };
    applyIssuesToForm();
    if (currentView === "visual") renderVisual();
    else views.visual.stale = true;
  } else if (error.status === 409) {
    saveError = { title: "Not saved: conflict", message: error.message };
  } else if (error.status === 401 || error.status === 403) {
    saveError = { title: "Not saved", message: `${error.message} (Your session may have ended: sign in again in another tab, then save.)` };
  } else {
    saveError = { title: "Not saved", message: error.message || "The server could not be reached." };
  }
  renderProblems();
  stateLabel.textContent = "Not saved";
}

async function run() {
  if (isDirty()) {
    if (!window.confirm("Save your changes first? A run uses the saved workflow.\n\nOK saves and then runs; Cancel does neither.")) return;
    if (!(await save())) return;
  }
  const segment = paths.flow.split("/").pop();
  const inputs = isObject(model.doc.inputs) ? Object.values(model.doc.inputs) : [];
  if (inputs.some((input) => isObject(input) && input.required === true && input.default === undefined)) {
    location.assign(`/workflows/${segment}/run/`);
    return;
  }
  setBusy(runButton, true);
  try {
    const result = await api("POST", `${paths.flow}/runs`, {});
    location.assign(`/workflows/${segment}/run/${result.run_id}/`);
  } catch (error) {
    saveError = { title: "The run did not start", message: error.message };
    renderProblems();
    setBusy(runButton, false);
  }
}

// ---------------------------------------------------------------------------------------------
// Start

function start() {
  if (!root || !data) return;
  model.subscribe((source) => {
    for (const [name, view] of Object.entries(views)) {
      if (name === source) continue;
      if (name === currentView) view.render();
      else view.stale = true;
    }
    if (saveError && !saving) {
      saveError = null;
      renderProblems();
    }
    updateState();
    scheduleValidation();
  });
  const topbar = document.querySelector(".topbar");
  if (topbar) root.style.setProperty("--editor-sticky-top", `${topbar.offsetHeight}px`);
  setupJSON();
  setupTabs();
  panels.form.hidden = false;
  views.form.stale = false;
  renderForm();

  saveButton.addEventListener("click", () => save());
  runButton?.addEventListener("click", () => run());
  if (isCreate) nameInput.addEventListener("input", () => document.getElementById("flow-name-error") && showNameError(null));
  guardEditing(() => save(), isDirty);
  if (data.enabled === false && versionBadge) {
    versionBadge.insertAdjacentElement("afterend", h("span", { class: "badge status-disabled", title: "Schedules and webhooks do not start it", text: "disabled" }));
  }
  updateState();
  validate();
  root.dataset.ready = "true";
}

start();
