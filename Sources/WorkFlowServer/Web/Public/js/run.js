// A run's page, live: the step table, the graph and the run's facts follow the run's events
// (Server-Sent Events from /api/v1/runs/<id>/events) while it runs; clicking a step shows its
// parameters, result, log and error without leaving the page. Without JavaScript the page is
// the server's snapshot, and each step links to its own detail.

const page = document.getElementById("run-page");
const data = JSON.parse(document.getElementById("run-data")?.textContent ?? "null");
const steps = new Map(); // name → the step's latest detailed record
let canvas = null;
let selectedStep = new URL(location.href).searchParams.get("step");

function formatDuration(ms) {
  if (ms == null) return "–";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3600000) return `${Math.floor(ms / 60000)} min ${Math.floor(ms / 1000) % 60} s`;
  return `${Math.floor(ms / 3600000)} h ${Math.floor(ms / 60000) % 60} min`;
}

// Times as the server shows them: YYYY-MM-DD HH:MM:SS in the configured time zone (Swedish
// formatting happens to be exactly that shape).
const timeFormat = new Intl.DateTimeFormat("sv-SE", {
  timeZone: data?.time_zone ?? "UTC",
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});

function formatTime(iso) {
  if (!iso) return "–";
  return timeFormat.format(new Date(iso));
}

function setBadge(element, status) {
  if (!element) return;
  element.className = element.className.replace(/status-\S+/g, "").trim() + ` status-${status}`;
  element.textContent = status;
}

/** Puts a step's record into its table row, the graph and (when open) the detail panel. */
function showStep(record) {
  steps.set(record.name, record);
  const row = page.querySelector(`tr[data-step="${CSS.escape(record.name)}"]`);
  if (row) {
    setBadge(row.querySelector('[data-cell="status"]'), record.status);
    row.querySelector('[data-cell="attempts"]').textContent = record.attempts > 0 ? String(record.attempts) : "–";
    row.querySelector('[data-cell="duration"]').textContent = formatDuration(record.duration_ms);
    row.querySelector('[data-cell="started"]').textContent = record.started_at ? formatTime(record.started_at) : "";
  }
  canvas?.setStatus(record.name, record.status);
  if (record.name === selectedStep) showDetail(record.name);
}

function showRun(run) {
  setBadge(document.getElementById("run-status"), run.status);
  setBadge(document.querySelector(".run-side li.current .badge"), run.status);
  const facts = document.getElementById("run-facts");
  facts.querySelector('[data-fact="started"]').textContent = formatTime(run.started_at);
  facts.querySelector('[data-fact="ended"]').textContent = formatTime(run.ended_at);
  facts.querySelector('[data-fact="duration"]').textContent = formatDuration(run.duration_ms);
  const error = document.getElementById("run-error");
  error.hidden = !run.error;
  error.textContent = run.error ?? "";
}

/** Fills the detail panel with the step's record. */
function showDetail(name) {
  const panel = document.getElementById("step-detail");
  const record = steps.get(name);
  if (!record) return false;
  selectedStep = name;
  if (!panel.querySelector('[data-detail="name"]')) panel.innerHTML = detailSkeleton();
  panel.hidden = false;
  panel.querySelector('[data-detail="name"]').textContent = name;
  setBadge(panel.querySelector('[data-detail="status"]'), record.status);
  const error = panel.querySelector('[data-detail="error"]');
  error.hidden = !record.error;
  error.textContent = record.error ?? "";
  panel.querySelector('[data-detail="params"]').textContent = JSON.stringify(record.params ?? {}, null, 2);
  panel.querySelector('[data-detail="result"]').textContent = record.result == null ? "–" : JSON.stringify(record.result, null, 2);
  const logs = panel.querySelector('[data-detail="logs"]');
  logs.replaceChildren(
    ...(record.logs ?? []).map((line) => {
      const item = document.createElement("li");
      item.className = `log-${line.level}`;
      const time = document.createElement("time");
      time.textContent = formatTime(line.time);
      const level = document.createElement("span");
      level.className = "log-level";
      level.textContent = line.level;
      item.append(time, " ", level, " ", line.message);
      return item;
    }),
  );
  page.querySelectorAll("tr[data-step]").forEach((row) => row.classList.toggle("selected", row.dataset.step === name));
  return true;
}

function detailSkeleton() {
  return `<div class="card-head"><h2>Step <span data-detail="name"></span> <span class="badge" data-detail="status"></span></h2></div>
    <p class="form-error" data-detail="error" hidden></p>
    <h3>Parameters, resolved</h3><pre class="code" data-detail="params"></pre>
    <details class="result" open><summary><h3>Result</h3><button type="button" class="button small" data-copy="result">Copy</button></summary>
    <pre class="code" data-detail="result"></pre></details>
    <h3>Log</h3><ol class="log" data-detail="logs"></ol>`;
}

// Steps open in the panel; the link still works in a new tab.
page.addEventListener("click", (event) => {
  const link = event.target.closest("[data-step-link]");
  if (link && event.button === 0 && !event.ctrlKey && !event.metaKey) {
    if (showDetail(link.dataset.stepLink)) {
      event.preventDefault();
      history.replaceState(null, "", link.href);
      document.getElementById("step-detail").scrollIntoView({ behavior: "smooth", block: "nearest" });
    }
  }
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    event.preventDefault(); // inside the summary: copy, do not fold
    const text = document.querySelector(`[data-detail="${copy.dataset.copy}"]`)?.textContent ?? "";
    navigator.clipboard?.writeText(text).then(() => {
      copy.textContent = "Copied";
      setTimeout(() => (copy.textContent = "Copy"), 1500);
    });
  }
});

/** Once the run has ended, the buttons change (no Cancel; Re-run from the failed step): take them from the page as the server draws it now. */
async function refreshActions() {
  const response = await fetch(location.pathname, { credentials: "same-origin" });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  const actions = fresh.querySelector("#run-page .card-head .actions");
  if (actions) page.querySelector(".card-head .actions")?.replaceWith(document.importNode(actions, true));
}

function follow() {
  const source = new EventSource(page.dataset.events);
  source.addEventListener("snapshot", (event) => {
    const run = JSON.parse(event.data);
    showRun(run);
    (run.steps ?? []).forEach(showStep);
  });
  source.addEventListener("run_started", (event) => {
    setBadge(document.getElementById("run-status"), "running");
    document.getElementById("run-facts").querySelector('[data-fact="started"]').textContent = formatTime(JSON.parse(event.data).started_at);
  });
  source.addEventListener("step_started", (event) => showStep(JSON.parse(event.data)));
  source.addEventListener("step_finished", (event) => showStep(JSON.parse(event.data)));
  source.addEventListener("log", (event) => {
    const line = JSON.parse(event.data);
    const record = steps.get(line.step);
    if (record && !(record.logs ?? []).some((known) => known.time === line.time && known.message === line.message)) {
      record.logs = [...(record.logs ?? []), line];
      if (line.step === selectedStep) showDetail(line.step);
    }
  });
  source.addEventListener("run_finished", (event) => {
    showRun(JSON.parse(event.data));
    page.dataset.finished = "true";
    source.close();
    refreshActions();
  });
}

async function drawGraph() {
  const container = document.getElementById("run-graph");
  if (!data || !container) return;
  try {
    const { WorkflowCanvas } = await import("/static/js/graph.js");
    canvas = new WorkflowCanvas(container, { readOnly: true, onOpen: (id) => showDetail(id), onSelect: (selection) => selection?.type === "node" && showDetail(selection.id) });
    const statuses = {};
    page.querySelectorAll("tr[data-step]").forEach((row) => (statuses[row.dataset.step] = row.querySelector('[data-cell="status"]').textContent.trim()));
    canvas.setGraph({
      nodes: data.nodes.map((node) => ({ ...node, status: steps.get(node.id)?.status ?? statuses[node.id] ?? "pending" })),
      edges: data.edges,
      positions: data.positions ?? {},
    });
    canvas.fit();
  } catch (error) {
    container.textContent = `The graph cannot be drawn here (${error.message}); the table below has every step.`;
    container.classList.add("help");
  }
}

await drawGraph();
follow();
