// The workflow canvas: draws a workflow as an SVG graph of steps (nodes) and dependencies (edges).
// Read-only on the run page (nodes coloured by step status as events arrive) and editable in the
// workflow editor (move, connect, disconnect, delete). No dependencies and no build step; styles
// live in css/graph.css and use the app's design tokens.
//
// The owner of the canvas keeps the model: the canvas reports connect/disconnect/delete through
// onChange and draws what the next setGraph() gives it. Only moves are applied by the canvas itself.

const SVG_NS = "http://www.w3.org/2000/svg";

const NODE_W = 220;
const NODE_H = 56;
const GAP_X = 80;
const GAP_Y = 28;
const ZOOM_MIN = 0.2;
const ZOOM_MAX = 2.5;
const ZOOM_STEP = 1.25;
const FIT_PADDING = 56;
const GRID = 20;
const DRAG_THRESHOLD = 4;
const DOUBLE_TAP_MS = 350;
const KEY_STEP = 10;
const PAN_STEP = 40;
const TEXT_X = 54;
const TEXT_MAX = NODE_W - TEXT_X - 36;
const ARROW = 8;

const STATUSES = ["pending", "running", "success", "failed", "skipped", "cancelled", "retrying"];

/** The mark inside a node's status glyph, centred on 0,0 (running draws a spinner instead). */
const GLYPHS = {
  success: "M-3.8 0.2 L-1.2 2.8 L3.8 -2.6",
  failed: "M-2.8 -2.8 L2.8 2.8 M2.8 -2.8 L-2.8 2.8",
  skipped: "M-3.6 0 H3.6",
  cancelled: "M-2.3 -2.3 H2.3 V2.3 H-2.3 Z",
  retrying: "M3.5 -2 A4 4 0 1 0 3.8 1.4 M3.5 -2 L3.7 -4.9 M3.5 -2 L0.7 -2.5",
};

const ICONS = {
  zoomOut: '<path d="M5 12h14"/>',
  zoomIn: '<path d="M12 5v14M5 12h14"/>',
  fit: '<path d="M4 9V5a1 1 0 0 1 1-1h4M15 4h4a1 1 0 0 1 1 1v4M20 15v4a1 1 0 0 1-1 1h-4M9 20H5a1 1 0 0 1-1-1v-4"/>',
  layout: '<rect x="3" y="9.5" width="6" height="5" rx="1"/><rect x="15" y="4" width="6" height="5" rx="1"/>' +
    '<rect x="15" y="15" width="6" height="5" rx="1"/><path d="M9 12h2.5a1.5 1.5 0 0 0 1.5-1.5V8a1.5 1.5 0 0 1 1.5-1.5H15' +
    'M11.5 12a1.5 1.5 0 0 1 1.5 1.5V16a1.5 1.5 0 0 0 1.5 1.5H15"/>',
};

let canvasCount = 0;

// ---------------------------------------------------------------------------------------------
// Layout

/**
 * Lays a graph out in layers from left to right: every node one column after its latest
 * dependency (longest path from the sources), nodes ordered within a column by a few barycenter
 * sweeps that reduce crossings (the input order breaks ties, so a chain stays a straight row).
 * Cycles are broken deterministically (the edge closing a cycle is ignored); edges naming
 * unknown ids are ignored.
 *
 * @param {Array<{id: string}>} nodes
 * @param {Array<{from: string, to: string}>} edges  `to` depends on `from`.
 * @returns {Record<string, {x: number, y: number}>} the top-left corner of each node, from 0,0.
 */
export function layoutGraph(nodes, edges) {
  const ids = uniqueIds(nodes);
  const dag = acyclicEdges(ids, edges);
  const layers = orderLayers(assignLayers(ids, dag), dag);
  return placeLayers(layers, dag);
}

function uniqueIds(nodes) {
  const seen = new Set();
  for (const node of nodes ?? []) {
    if (node?.id != null && !seen.has(node.id)) seen.add(node.id);
  }
  return [...seen];
}

function edgeKey(from, to) {
  return JSON.stringify([from, to]);
}

/** The known, distinct, non-self edges minus those closing a cycle (depth-first, sources first). */
function acyclicEdges(ids, edges) {
  const out = new Map(ids.map((id) => [id, []]));
  const hasIncoming = new Set();
  const seen = new Set();
  for (const edge of edges ?? []) {
    if (!out.has(edge?.from) || !out.has(edge?.to) || edge.from === edge.to) continue;
    const key = edgeKey(edge.from, edge.to);
    if (seen.has(key)) continue;
    seen.add(key);
    out.get(edge.from).push(edge.to);
    hasIncoming.add(edge.to);
  }
  const state = new Map(); // 1: on the depth-first stack, 2: finished
  const kept = [];
  const roots = [...ids.filter((id) => !hasIncoming.has(id)), ...ids];
  for (const root of roots) {
    if (state.has(root)) continue;
    state.set(root, 1);
    const stack = [{ id: root, next: 0 }];
    while (stack.length) {
      const frame = stack[stack.length - 1];
      const targets = out.get(frame.id);
      if (frame.next >= targets.length) {
        state.set(frame.id, 2);
        stack.pop();
        continue;
      }
      const to = targets[frame.next++];
      if (state.get(to) === 1) continue; // closes a cycle
      kept.push({ from: frame.id, to });
      if (!state.has(to)) {
        state.set(to, 1);
        stack.push({ id: to, next: 0 });
      }
    }
  }
  return kept;
}

/** Longest-path layers; a source feeding only later columns moves up to just before them. */
function assignLayers(ids, dag) {
  const successors = new Map(ids.map((id) => [id, []]));
  const indegree = new Map(ids.map((id) => [id, 0]));
  for (const { from, to } of dag) {
    successors.get(from).push(to);
    indegree.set(to, indegree.get(to) + 1);
  }
  const layer = new Map(ids.map((id) => [id, 0]));
  const queue = ids.filter((id) => indegree.get(id) === 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i];
    for (const to of successors.get(id)) {
      layer.set(to, Math.max(layer.get(to), layer.get(id) + 1));
      indegree.set(to, indegree.get(to) - 1);
      if (indegree.get(to) === 0) queue.push(to);
    }
  }
  const sources = new Set(ids.filter((id) => !dag.some((edge) => edge.to === id)));
  for (const id of sources) {
    const next = successors.get(id).map((to) => layer.get(to));
    if (next.length) layer.set(id, Math.max(0, Math.min(...next) - 1));
  }
  const layers = [];
  for (const id of ids) (layers[layer.get(id)] ??= []).push(id);
  return layers.filter(Boolean);
}

/** Reorders each layer by barycenter sweeps (down, up, down, up), keeping the best ordering seen. */
function orderLayers(layers, dag) {
  const layerOf = new Map();
  layers.forEach((ids, index) => ids.forEach((id) => layerOf.set(id, index)));
  const above = new Map([...layerOf.keys()].map((id) => [id, []]));
  const below = new Map([...layerOf.keys()].map((id) => [id, []]));
  for (const { from, to } of dag) {
    if (layerOf.get(to) !== layerOf.get(from) + 1) continue;
    above.get(to).push(from);
    below.get(from).push(to);
  }
  let best = layers.map((ids) => ids.slice());
  let fewest = countCrossings(best, below);
  const current = layers.map((ids) => ids.slice());
  for (let sweep = 0; sweep < 4 && fewest > 0; sweep++) {
    if (sweep % 2 === 0) {
      for (let l = 1; l < current.length; l++) sortByBarycenter(current[l], current[l - 1], above);
    } else {
      for (let l = current.length - 2; l >= 0; l--) sortByBarycenter(current[l], current[l + 1], below);
    }
    const crossings = countCrossings(current, below);
    if (crossings < fewest) {
      fewest = crossings;
      best = current.map((ids) => ids.slice());
    }
  }
  return best;
}

function sortByBarycenter(layer, fixed, neighbours) {
  const position = new Map(fixed.map((id, index) => [id, index]));
  const barycenter = new Map(
    layer.map((id, index) => {
      const placed = neighbours.get(id).filter((other) => position.has(other));
      return [id, placed.length ? average(placed.map((other) => position.get(other))) : index];
    }),
  );
  layer.sort((a, b) => barycenter.get(a) - barycenter.get(b)); // stable: ties keep their order
}

function countCrossings(layers, below) {
  let crossings = 0;
  for (let l = 0; l + 1 < layers.length; l++) {
    const next = new Map(layers[l + 1].map((id, index) => [id, index]));
    const segments = [];
    layers[l].forEach((id, index) => below.get(id).forEach((to) => segments.push([index, next.get(to)])));
    for (let i = 0; i < segments.length; i++) {
      for (let j = i + 1; j < segments.length; j++) {
        if ((segments[i][0] - segments[j][0]) * (segments[i][1] - segments[j][1]) < 0) crossings++;
      }
    }
  }
  return crossings;
}

/** Columns at constant spacing; each node as near the mean height of its dependencies as fits. */
function placeLayers(layers, dag) {
  const predecessors = new Map();
  for (const { from, to } of dag) (predecessors.get(to) ?? predecessors.set(to, []).get(to)).push(from);
  const step = NODE_H + GAP_Y;
  const y = new Map();
  for (const ids of layers) {
    const anchored = ids.map((id) => (predecessors.get(id) ?? []).some((other) => y.has(other)));
    const desired = ids.map((id, index) => {
      if (!anchored[index]) return (index - (ids.length - 1) / 2) * step;
      return average(predecessors.get(id).filter((other) => y.has(other)).map((other) => y.get(other)));
    });
    const packed = [];
    desired.forEach((want, index) => packed.push(index === 0 ? want : Math.max(want, packed[index - 1] + step)));
    // Shift the packed column back towards where its anchored nodes want to be.
    const counted = ids.map((_, index) => index).filter((index) => anchored[index] || !anchored.includes(true));
    const shift = average(counted.map((index) => desired[index] - packed[index]));
    ids.forEach((id, index) => y.set(id, packed[index] + shift));
  }
  const top = Math.min(0, ...y.values());
  const positions = {};
  layers.forEach((ids, column) => {
    for (const id of ids) positions[id] = { x: column * (NODE_W + GAP_X), y: Math.round(y.get(id) - top) };
  });
  return positions;
}

function average(values) {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

// ---------------------------------------------------------------------------------------------
// The canvas

/**
 * @typedef {"pending"|"running"|"success"|"failed"|"skipped"|"cancelled"|"retrying"|null} StepStatus
 * @typedef {{id: string, title?: string, subtitle?: string, icon?: string, status?: StepStatus, problems?: string[]}} GraphNode
 * @typedef {{from: string, to: string}} GraphEdge
 * @typedef {Record<string, {x: number, y: number}>} Positions
 * @typedef {{type: "node", id: string} | {type: "edge", from: string, to: string} | null} Selection
 * @typedef {{type: "move", positions: Positions} | {type: "connect", from: string, to: string}
 *   | {type: "disconnect", from: string, to: string} | {type: "delete", id: string}} Change
 */

/**
 * An SVG workflow graph in `container`, with pan and zoom, a toolbar, keyboard access and (unless
 * `readOnly`) editing. User actions are reported through the callbacks; calling the API does not
 * call them back, except autoLayout(), which reports the positions it applied.
 */
export class WorkflowCanvas {
  #container;
  #readOnly;
  #onChange;
  #onSelect;
  #onOpen;
  #svg;
  #viewport;
  #edgeLayer;
  #nodeLayer;
  #rubber;
  #parts = [];
  #buttons = {};
  #zoomLabel;
  #message;
  #empty;
  #clipId;
  /** id → {data, el, glyph, edges: Set<key>} */
  #nodes = new Map();
  /** key → {from, to, el, hit, line, arrow} */
  #edges = new Map();
  /** id → the top-left corner of the node, in graph coordinates */
  #pos = new Map();
  #view = { x: 0, y: 0, k: 1 };
  #selection = null;
  #gesture = null;
  #pinch = null;
  #pointers = new Map();
  #lastTap = null;
  #animation = null;
  #candidate = null;
  #messageTimer = 0;
  #refuseTimer = 0;
  #needsFit = true;
  #quietFocus = false;
  #abort = new AbortController();
  #resizeObserver = null;
  #idOf = new WeakMap();
  #edgeOf = new WeakMap();

  /**
   * @param {HTMLElement} container  The canvas fills it (give it a size); it gets the class `wf-canvas`.
   * @param {object} [options]
   * @param {boolean} [options.readOnly=false]  No editing: no ports, no moving, Delete ignored.
   * @param {(change: Change) => void} [options.onChange]  A move (applied), or a connect, disconnect or
   *   delete the owner should apply to its model and then pass back through setGraph().
   * @param {(selection: Selection) => void} [options.onSelect]  The user selected a node, an edge or nothing.
   * @param {(id: string) => void} [options.onOpen]  The user double-clicked (double-tapped) a node or pressed Enter on it.
   */
  constructor(container, { readOnly = false, onChange = () => {}, onSelect = () => {}, onOpen = () => {} } = {}) {
    if (!(container instanceof Element)) throw new TypeError("WorkflowCanvas needs a container element");
    this.#container = container;
    this.#readOnly = Boolean(readOnly);
    this.#onChange = onChange;
    this.#onSelect = onSelect;
    this.#onOpen = onOpen;
    this.#build();
    this.#listen();
    this.#applyView();
  }

  /**
   * Draws a graph, replacing the previous one. Keeps the zoom, pan and selection (when its ids
   * still exist); the first graph is fitted to the canvas. Nodes without a position keep the one
   * they had, or are placed: all of them by layoutGraph(), a few next to their neighbours.
   * @param {{nodes?: GraphNode[], edges?: GraphEdge[], positions?: Positions}} graph
   */
  setGraph({ nodes = [], edges = [], positions = {} } = {}) {
    this.#stopAnimation();
    this.#cancelGesture();
    const focused = this.#focusedNodeId();
    const hadFocus = this.#svg.contains(document.activeElement);
    const list = normalizeNodes(nodes);
    const known = new Set(list.map((node) => node.id));
    const links = normalizeEdges(edges, known);
    this.#pos = this.#resolvePositions(list, links, positions ?? {});
    this.#render(list, links);
    if (!this.#selectionExists(this.#selection)) this.#selection = null;
    this.#applySelection();
    this.#empty.hidden = list.length > 0;
    if (this.#needsFit) this.fit();
    if (hadFocus) this.#focusQuietly(this.#nodes.get(focused)?.el ?? this.#svg);
  }

  /**
   * Sets one node's status (its class `wf-node--<status>`, glyph and label) without redrawing the graph.
   * @param {string} id
   * @param {StepStatus} status
   */
  setStatus(id, status) {
    const node = this.#nodes.get(id);
    if (!node) return;
    node.data.status = normalizeStatus(status);
    this.#applyStatus(node);
    for (const key of node.edges) this.#applyEdgeStatus(this.#edges.get(key));
  }

  /**
   * Selects a node by id, or nothing with null (without calling onSelect).
   * @param {string|null} id
   */
  select(id) {
    this.#selection = id != null && this.#nodes.has(id) ? { type: "node", id } : null;
    this.#applySelection();
  }

  /** @returns {Selection} the selected node or edge, or null. */
  get selected() {
    return this.#selection ? { ...this.#selection } : null;
  }

  /** @returns {Positions} every node's top-left corner, rounded to whole pixels. */
  positions() {
    const source = this.#animation?.target ?? this.#pos;
    const result = {};
    for (const [id, point] of source) result[id] = { x: Math.round(point.x), y: Math.round(point.y) };
    return result;
  }

  /** Zooms and pans so that the whole graph shows (never zooming in past 100%). */
  fit() {
    const view = this.#fitView(this.#pos);
    if (!view) {
      this.#needsFit = true;
      return;
    }
    this.#needsFit = false;
    this.#view = view;
    this.#applyView();
  }

  /** Moves every node to its layoutGraph() position (animated unless reduced motion is preferred),
   *  fits the view, and reports the positions through onChange `{type: "move", positions}`. */
  autoLayout() {
    if (!this.#nodes.size) return;
    this.#stopAnimation();
    const layout = layoutGraph(this.#nodeList(), [...this.#edges.values()]);
    const target = new Map([...this.#nodes.keys()].map((id) => [id, layout[id]]));
    const start = new Map([...this.#pos].map(([id, point]) => [id, { ...point }]));
    const fromView = { ...this.#view };
    const toView = this.#fitView(target) ?? fromView;
    const finish = () => {
      this.#animation = null;
      for (const [id, point] of target) this.#moveNode(id, point);
      this.#view = toView;
      this.#applyView();
    };
    if (prefersReducedMotion()) {
      finish();
    } else {
      const began = performance.now();
      const frame = (now) => {
        const t = easeInOut(Math.min(1, (now - began) / 320));
        for (const [id, to] of target) this.#moveNode(id, lerpPoint(start.get(id), to, t));
        this.#view = { x: lerp(fromView.x, toView.x, t), y: lerp(fromView.y, toView.y, t), k: lerp(fromView.k, toView.k, t) };
        this.#applyView();
        if (t < 1) this.#animation.frame = requestAnimationFrame(frame);
        else finish();
      };
      this.#animation = { target, finish, frame: requestAnimationFrame(frame) };
    }
    this.#onChange({ type: "move", positions: this.positions() });
  }

  /**
   * Zooms by `factor` around the centre of the canvas (clamped to 20–250%).
   * @param {number} factor
   */
  zoomBy(factor) {
    const { width, height } = this.#svg.getBoundingClientRect();
    this.#zoomAt(width / 2, height / 2, factor);
  }

  /** Removes the canvas's elements and listeners from the container. */
  destroy() {
    this.#stopAnimation();
    this.#abort.abort();
    this.#resizeObserver?.disconnect();
    clearTimeout(this.#messageTimer);
    clearTimeout(this.#refuseTimer);
    for (const part of this.#parts) part.remove();
    this.#container.classList.remove(
      "wf-canvas", "wf-canvas--readonly", "wf-canvas--editable", "is-panning", "is-dragging", "is-connecting", "is-keyboard");
    this.#container.style.removeProperty("background-size");
    this.#container.style.removeProperty("background-position");
    this.#nodes.clear();
    this.#edges.clear();
  }

  // --- Building ---------------------------------------------------------------------------------

  #build() {
    const container = this.#container;
    const id = ++canvasCount;
    container.classList.add("wf-canvas", this.#readOnly ? "wf-canvas--readonly" : "wf-canvas--editable");
    this.#clipId = `wf-canvas-${id}-clip`;
    const hint = htmlEl("p", { class: "wf-canvas__hint", id: `wf-canvas-${id}-hint` }, container);
    hint.textContent = this.#readOnly
      ? "Tab moves between steps; Enter opens one. Drag or use the arrow keys to pan, plus and minus zoom, 0 fits the graph."
      : "Tab moves between steps; Enter opens one, arrow keys move it, Delete removes it or the selected dependency. " +
        "Drag from a step's right-hand port to another step to add a dependency. Plus and minus zoom, 0 fits the graph.";
    this.#svg = svgEl("svg", {
      class: "wf-canvas__svg",
      role: "group",
      "aria-label": this.#readOnly ? "Workflow graph" : "Workflow graph editor",
      "aria-describedby": hint.id,
      tabindex: "-1",
    }, container);
    const clip = svgEl("clipPath", { id: this.#clipId }, svgEl("defs", {}, this.#svg));
    svgEl("rect", { width: NODE_W, height: NODE_H, rx: 8 }, clip);
    this.#viewport = svgEl("g", { class: "wf-canvas__viewport" }, this.#svg);
    this.#edgeLayer = svgEl("g", { class: "wf-canvas__edges" }, this.#viewport);
    this.#rubber = svgEl("path", { class: "wf-canvas__rubber", display: "none" }, this.#viewport);
    this.#nodeLayer = svgEl("g", { class: "wf-canvas__nodes" }, this.#viewport);
    const toolbar = this.#buildToolbar();
    this.#empty = htmlEl("div", { class: "wf-canvas__empty", hidden: "" }, container);
    this.#empty.textContent = "No steps yet.";
    this.#message = htmlEl("div", { class: "wf-canvas__message", role: "status", "aria-live": "polite" }, container);
    this.#parts = [hint, this.#svg, toolbar, this.#empty, this.#message];
  }

  #buildToolbar() {
    const bar = htmlEl("div", { class: "wf-canvas__toolbar", role: "group", "aria-label": "Canvas view" }, this.#container);
    const button = (action, label, title, icon, run) => {
      const element = htmlEl("button", { type: "button", class: "wf-canvas__button", "data-action": action, "aria-label": label, title }, bar);
      element.innerHTML = `<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">${icon}</svg>`;
      element.addEventListener("click", run, { signal: this.#abort.signal });
      this.#buttons[action] = element;
      return element;
    };
    button("zoom-out", "Zoom out", "Zoom out (−)", ICONS.zoomOut, () => this.zoomBy(1 / ZOOM_STEP));
    this.#zoomLabel = htmlEl("span", { class: "wf-canvas__zoom-level", "aria-hidden": "true" }, bar);
    button("zoom-in", "Zoom in", "Zoom in (+)", ICONS.zoomIn, () => this.zoomBy(ZOOM_STEP));
    htmlEl("span", { class: "wf-canvas__separator", "aria-hidden": "true" }, bar);
    button("fit", "Fit to screen", "Fit to screen (0)", ICONS.fit, () => this.fit());
    button("layout", "Auto-layout", "Auto-layout: arrange the steps in columns", ICONS.layout, () => this.autoLayout()).hidden = this.#readOnly;
    return bar;
  }

  #listen() {
    const signal = this.#abort.signal;
    const svg = this.#svg;
    svg.addEventListener("pointerdown", (event) => this.#pointerDown(event), { signal });
    svg.addEventListener("pointermove", (event) => this.#pointerMove(event), { signal });
    svg.addEventListener("pointerup", (event) => this.#pointerUp(event, false), { signal });
    svg.addEventListener("pointercancel", (event) => this.#pointerUp(event, true), { signal });
    svg.addEventListener("wheel", (event) => this.#wheel(event), { signal, passive: false });
    svg.addEventListener("focusin", (event) => this.#focusIn(event), { signal });
    this.#container.addEventListener("keydown", (event) => this.#keyDown(event), { signal });
    if (typeof ResizeObserver === "function") {
      this.#resizeObserver = new ResizeObserver(() => {
        if (this.#needsFit && this.#nodes.size) this.fit();
      });
      this.#resizeObserver.observe(this.#container);
    }
  }

  // --- Rendering --------------------------------------------------------------------------------

  #resolvePositions(list, links, given) {
    const positions = new Map();
    for (const { id } of list) {
      const point = validPoint(Object.hasOwn(given, id) ? given[id] : undefined) ?? this.#pos.get(id);
      if (point) positions.set(id, { x: point.x, y: point.y });
    }
    if (positions.size === list.length) return positions;
    const layout = layoutGraph(list, links);
    if (positions.size === 0) {
      for (const { id } of list) positions.set(id, layout[id]);
      return positions;
    }
    const missing = list.filter(({ id }) => !positions.has(id));
    missing.sort((a, b) => layout[a.id].x - layout[b.id].x || layout[a.id].y - layout[b.id].y);
    for (const { id } of missing) positions.set(id, placeNear(id, links, positions));
    return positions;
  }

  #render(list, links) {
    this.#nodeLayer.replaceChildren();
    this.#edgeLayer.replaceChildren();
    this.#nodes.clear();
    this.#edges.clear();
    // Document order is the Tab order: column by column, top to bottom.
    const ordered = list.slice().sort((a, b) => {
      const p = this.#pos.get(a.id), q = this.#pos.get(b.id);
      return p.x - q.x || p.y - q.y;
    });
    for (const data of ordered) this.#nodes.set(data.id, this.#createNode(data));
    for (const link of links) {
      const edge = this.#createEdge(link);
      this.#edges.set(edgeKey(link.from, link.to), edge);
      this.#nodes.get(link.from).edges.add(edgeKey(link.from, link.to));
      this.#nodes.get(link.to).edges.add(edgeKey(link.from, link.to));
    }
    for (const edge of this.#edges.values()) {
      this.#drawEdge(edge);
      this.#applyEdgeStatus(edge);
    }
  }

  #createNode(data) {
    const el = svgEl("g", { class: "wf-node", tabindex: "0", role: "button", "data-id": data.id }, this.#nodeLayer);
    this.#idOf.set(el, data.id);
    const { x, y } = this.#pos.get(data.id);
    el.setAttribute("transform", `translate(${x} ${y})`);
    svgEl("rect", { class: "wf-node__pulse", x: -3, y: -3, width: NODE_W + 6, height: NODE_H + 6, rx: 11 }, el);
    svgEl("rect", { class: "wf-node__halo", x: -4, y: -4, width: NODE_W + 8, height: NODE_H + 8, rx: 12 }, el);
    svgEl("rect", { class: "wf-node__body", width: NODE_W, height: NODE_H, rx: 8 }, el);
    svgEl("rect", { class: "wf-node__stripe", width: 4, height: NODE_H, "clip-path": `url(#${this.#clipId})` }, el);
    svgEl("rect", { class: "wf-node__badge", x: 16, y: 14, width: 28, height: 28, rx: 6 }, el);
    svgEl("text", { class: "wf-node__icon", x: 30, y: 28, "text-anchor": "middle", "dominant-baseline": "central" }, el).textContent = data.icon;
    const title = svgEl("text", { class: "wf-node__title", x: TEXT_X, y: data.subtitle ? 21 : 28, "dominant-baseline": "central" }, el);
    let truncated = fitText(title, data.title, TEXT_MAX);
    if (data.subtitle) {
      const subtitle = svgEl("text", { class: "wf-node__subtitle", x: TEXT_X, y: 38, "dominant-baseline": "central" }, el);
      truncated = fitText(subtitle, data.subtitle, TEXT_MAX) || truncated;
    }
    if (truncated) svgEl("title", {}, el).textContent = [data.title, data.subtitle].filter(Boolean).join("\n");
    const glyph = svgEl("g", { class: "wf-node__glyph", transform: `translate(${NODE_W - 22} ${NODE_H / 2})` }, el);
    svgEl("circle", { class: "wf-node__glyph-bg", r: 9 }, glyph);
    svgEl("circle", { class: "wf-node__spinner", r: 6.5 }, glyph);
    const mark = svgEl("path", { class: "wf-node__glyph-mark" }, glyph);
    if (data.problems.length) this.#createProblemMarker(el, data.problems);
    if (!this.#readOnly) {
      this.#createPort(el, "in", 0);
      this.#createPort(el, "out", NODE_W);
    }
    const node = { data, el, mark, edges: new Set() };
    this.#applyStatus(node);
    return node;
  }

  #createProblemMarker(el, problems) {
    el.classList.add("has-problems");
    const marker = svgEl("g", { class: "wf-node__problem", transform: `translate(${NODE_W - 2} 2)` }, el);
    svgEl("title", {}, marker).textContent = problems.join("\n");
    svgEl("circle", { r: 9 }, marker);
    svgEl("text", { y: 0.5, "text-anchor": "middle", "dominant-baseline": "central" }, marker).textContent = "!";
  }

  #createPort(el, side, x) {
    const port = svgEl("g", { class: `wf-port wf-port--${side}`, transform: `translate(${x} ${NODE_H / 2})` }, el);
    if (side === "out") svgEl("title", {}, port).textContent = "Drag to a step that depends on this one";
    svgEl("circle", { class: "wf-port__hit", r: 13 }, port);
    svgEl("circle", { class: "wf-port__dot", r: 5 }, port);
  }

  #createEdge({ from, to }) {
    const el = svgEl("g", { class: "wf-edge", "data-from": from, "data-to": to }, this.#edgeLayer);
    this.#edgeOf.set(el, { from, to });
    svgEl("title", {}, el).textContent = `${this.#titleOf(from)} → ${this.#titleOf(to)}`;
    const hit = svgEl("path", { class: "wf-edge__hit" }, el);
    const line = svgEl("path", { class: "wf-edge__line" }, el);
    const arrow = svgEl("path", { class: "wf-edge__arrow" }, el);
    return { from, to, el, hit, line, arrow };
  }

  #drawEdge(edge) {
    const a = this.#pos.get(edge.from), b = this.#pos.get(edge.to);
    const sx = a.x + NODE_W, sy = a.y + NODE_H / 2, tx = b.x, ty = b.y + NODE_H / 2;
    edge.hit.setAttribute("d", edgePath(sx, sy, tx, ty, tx));
    edge.line.setAttribute("d", edgePath(sx, sy, tx, ty, tx - ARROW + 1));
    edge.arrow.setAttribute("d", `M${tx - ARROW - 1} ${ty - 4.5} L${tx} ${ty} L${tx - ARROW - 1} ${ty + 4.5} Z`);
  }

  #applyStatus(node) {
    const { el, data } = node;
    for (const status of STATUSES) el.classList.toggle(`wf-node--${status}`, data.status === status);
    el.setAttribute("aria-label", nodeLabel(data));
    node.mark.setAttribute("d", GLYPHS[data.status] ?? "");
  }

  #applyEdgeStatus(edge) {
    edge.el.dataset.sourceStatus = this.#nodes.get(edge.from)?.data.status ?? "";
    edge.el.dataset.targetStatus = this.#nodes.get(edge.to)?.data.status ?? "";
  }

  #applySelection() {
    const selection = this.#selection;
    for (const [id, node] of this.#nodes) node.el.classList.toggle("is-selected", selection?.type === "node" && selection.id === id);
    for (const edge of this.#edges.values()) {
      const chosen = selection?.type === "edge" && selection.from === edge.from && selection.to === edge.to;
      const related = selection?.type === "node" && (selection.id === edge.from || selection.id === edge.to);
      edge.el.classList.toggle("is-selected", chosen);
      edge.el.classList.toggle("is-related", related);
    }
  }

  #applyView() {
    const { x, y, k } = this.#view;
    this.#viewport.setAttribute("transform", `translate(${x} ${y}) scale(${k})`);
    let size = GRID * k;
    while (size < 10) size *= 2;
    this.#container.style.backgroundSize = `${size}px ${size}px`;
    this.#container.style.backgroundPosition = `${x}px ${y}px`;
    this.#zoomLabel.textContent = `${Math.round(k * 100)}%`;
    this.#buttons["zoom-in"].disabled = k >= ZOOM_MAX - 1e-6;
    this.#buttons["zoom-out"].disabled = k <= ZOOM_MIN + 1e-6;
  }

  // --- Model helpers ----------------------------------------------------------------------------

  #nodeList() {
    return [...this.#nodes.values()].map((node) => node.data);
  }

  #titleOf(id) {
    return this.#nodes.get(id)?.data.title ?? String(id);
  }

  #selectionExists(selection) {
    if (selection?.type === "node") return this.#nodes.has(selection.id);
    if (selection?.type === "edge") return this.#edges.has(edgeKey(selection.from, selection.to));
    return false;
  }

  /** Why `to` may not depend on `from`, or null when it may. */
  #connectProblem(from, to) {
    if (from === to) return "A step can't depend on itself.";
    if (this.#edges.has(edgeKey(from, to))) return `${this.#titleOf(to)} already depends on ${this.#titleOf(from)}.`;
    if (this.#reaches(to, from)) return `That would make a cycle: ${this.#titleOf(from)} already depends on ${this.#titleOf(to)}.`;
    return null;
  }

  /** Whether a path of edges leads from `start` to `goal`. */
  #reaches(start, goal) {
    const next = new Map();
    for (const { from, to } of this.#edges.values()) (next.get(from) ?? next.set(from, []).get(from)).push(to);
    const seen = new Set([start]);
    const stack = [start];
    while (stack.length) {
      const id = stack.pop();
      if (id === goal) return true;
      for (const to of next.get(id) ?? []) {
        if (!seen.has(to)) {
          seen.add(to);
          stack.push(to);
        }
      }
    }
    return false;
  }

  #moveNode(id, point) {
    const node = this.#nodes.get(id);
    if (!node) return;
    this.#pos.set(id, { x: point.x, y: point.y });
    node.el.setAttribute("transform", `translate(${point.x} ${point.y})`);
    for (const key of node.edges) this.#drawEdge(this.#edges.get(key));
  }

  #choose(selection) {
    const before = JSON.stringify(this.#selection);
    this.#selection = selection;
    this.#applySelection();
    if (JSON.stringify(selection) !== before) this.#onSelect(selection ? { ...selection } : null);
  }

  #deleteSelection() {
    const selection = this.#selection;
    if (this.#readOnly || !selection) return false;
    if (selection.type === "edge") this.#onChange({ type: "disconnect", from: selection.from, to: selection.to });
    else this.#onChange({ type: "delete", id: selection.id });
    return true;
  }

  #announce(text, tone = "info") {
    clearTimeout(this.#messageTimer);
    this.#message.textContent = text;
    this.#message.classList.toggle("is-error", tone === "error");
    this.#message.classList.add("is-visible");
    this.#messageTimer = setTimeout(() => this.#message.classList.remove("is-visible"), 2800);
  }

  // --- View -------------------------------------------------------------------------------------

  #fitView(positions) {
    const { width, height } = this.#svg.getBoundingClientRect();
    if (!positions.size || width < 1 || height < 1) return null;
    const points = [...positions.values()];
    const minX = Math.min(...points.map((p) => p.x)), maxX = Math.max(...points.map((p) => p.x)) + NODE_W;
    const minY = Math.min(...points.map((p) => p.y)), maxY = Math.max(...points.map((p) => p.y)) + NODE_H;
    const padding = Math.min(FIT_PADDING, width / 8, height / 8);
    const k = clamp(Math.min((width - 2 * padding) / (maxX - minX), (height - 2 * padding) / (maxY - minY)), ZOOM_MIN, 1);
    return { k, x: (width - (maxX - minX) * k) / 2 - minX * k, y: (height - (maxY - minY) * k) / 2 - minY * k };
  }

  /** Zooms by `factor` keeping the point at `x`, `y` (relative to the canvas) still. */
  #zoomAt(x, y, factor) {
    const view = this.#view;
    const k = clamp(view.k * factor, ZOOM_MIN, ZOOM_MAX);
    this.#view = { k, x: x - ((x - view.x) * k) / view.k, y: y - ((y - view.y) * k) / view.k };
    this.#applyView();
  }

  #panBy(dx, dy) {
    this.#view = { ...this.#view, x: this.#view.x + dx, y: this.#view.y + dy };
    this.#applyView();
  }

  /** Pans just enough to bring node `id` into view. */
  #ensureVisible(id) {
    const point = this.#pos.get(id);
    if (!point) return;
    const { width, height } = this.#svg.getBoundingClientRect();
    const { x, y, k } = this.#view;
    const margin = 24;
    const left = point.x * k + x, top = point.y * k + y;
    const right = left + NODE_W * k, bottom = top + NODE_H * k;
    const dx = left < margin ? margin - left : right > width - margin ? Math.max(margin - left, width - margin - right) : 0;
    const dy = top < margin ? margin - top : bottom > height - margin ? Math.max(margin - top, height - margin - bottom) : 0;
    if (dx || dy) this.#panBy(dx, dy);
  }

  #toLocal(clientX, clientY) {
    const rect = this.#svg.getBoundingClientRect();
    return { x: clientX - rect.left, y: clientY - rect.top };
  }

  #toGraph(clientX, clientY) {
    const local = this.#toLocal(clientX, clientY);
    return { x: (local.x - this.#view.x) / this.#view.k, y: (local.y - this.#view.y) / this.#view.k };
  }

  #stopAnimation() {
    if (!this.#animation) return;
    cancelAnimationFrame(this.#animation.frame);
    this.#animation.finish();
  }

  // --- Pointer gestures -------------------------------------------------------------------------

  #pointerDown(event) {
    if (event.pointerType === "mouse" && event.button !== 0 && event.button !== 1) return;
    this.#stopAnimation();
    event.preventDefault(); // no text selection, no native focus change: focus is set below
    this.#container.classList.remove("is-keyboard");
    this.#pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    try {
      this.#svg.setPointerCapture(event.pointerId);
    } catch {
      // A synthetic or already released pointer cannot be captured; moves still arrive over the canvas.
    }
    if (this.#pointers.size === 2) return this.#startPinch();
    if (this.#pointers.size > 2 || this.#pinch) return;
    const target = event.target instanceof Element ? event.target : null;
    const nodeEl = target?.closest(".wf-node");
    const id = nodeEl ? this.#idOf.get(nodeEl) : undefined;
    const edgeEl = target?.closest(".wf-edge");
    let type = "pan";
    if (event.button === 0 && id !== undefined && !this.#readOnly) type = target.closest(".wf-port--out") ? "connect" : "drag";
    this.#gesture = {
      type,
      id,
      edge: edgeEl ? this.#edgeOf.get(edgeEl) ?? null : null,
      pointerId: event.pointerId,
      start: { x: event.clientX, y: event.clientY },
      view: { ...this.#view },
      origin: id !== undefined ? { ...this.#pos.get(id) } : null,
      moved: false,
    };
    this.#focusQuietly(nodeEl ?? this.#svg);
  }

  #pointerMove(event) {
    if (!this.#pointers.has(event.pointerId)) return;
    this.#pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (this.#pinch) return this.#movePinch();
    const gesture = this.#gesture;
    if (!gesture || gesture.pointerId !== event.pointerId) return;
    const dx = event.clientX - gesture.start.x, dy = event.clientY - gesture.start.y;
    if (!gesture.moved) {
      if (Math.hypot(dx, dy) < DRAG_THRESHOLD) return;
      gesture.moved = true;
      this.#container.classList.add({ pan: "is-panning", drag: "is-dragging", connect: "is-connecting" }[gesture.type]);
      if (gesture.type === "drag") this.#choose({ type: "node", id: gesture.id });
    }
    if (gesture.type === "pan") {
      this.#view = { ...gesture.view, x: gesture.view.x + dx, y: gesture.view.y + dy };
      this.#applyView();
    } else if (gesture.type === "drag") {
      this.#moveNode(gesture.id, { x: gesture.origin.x + dx / this.#view.k, y: gesture.origin.y + dy / this.#view.k });
    } else {
      this.#dragRubber(gesture, event.clientX, event.clientY);
    }
  }

  #pointerUp(event, cancelled) {
    if (!this.#pointers.delete(event.pointerId)) return;
    if (this.#pinch) {
      if (this.#pointers.size < 2) this.#pinch = null;
      return;
    }
    const gesture = this.#gesture;
    if (!gesture || gesture.pointerId !== event.pointerId) return;
    this.#gesture = null;
    this.#container.classList.remove("is-panning", "is-dragging", "is-connecting");
    if (cancelled) return this.#undoGesture(gesture);
    if (!gesture.moved) return this.#click(gesture, event.timeStamp);
    if (gesture.type === "drag") {
      const point = this.#pos.get(gesture.id);
      this.#moveNode(gesture.id, { x: Math.round(point.x), y: Math.round(point.y) });
      this.#onChange({ type: "move", positions: this.positions() });
    } else if (gesture.type === "connect") {
      this.#dropRubber(gesture, event.clientX, event.clientY);
    }
  }

  #click(gesture, time) {
    if (gesture.id !== undefined) {
      this.#choose({ type: "node", id: gesture.id });
      const last = this.#lastTap;
      if (last && last.id === gesture.id && time - last.time < DOUBLE_TAP_MS) {
        this.#lastTap = null;
        this.#onOpen(gesture.id);
      } else {
        this.#lastTap = { id: gesture.id, time };
      }
    } else if (gesture.edge) {
      this.#choose({ type: "edge", ...gesture.edge });
    } else {
      this.#choose(null);
    }
  }

  #undoGesture(gesture) {
    if (gesture.type === "drag" && gesture.moved) this.#moveNode(gesture.id, gesture.origin);
    if (gesture.type === "connect") this.#hideRubber();
  }

  #cancelGesture() {
    if (this.#gesture) this.#undoGesture(this.#gesture);
    this.#gesture = null;
    this.#pinch = null;
    this.#hideRubber();
    this.#container.classList.remove("is-panning", "is-dragging", "is-connecting");
  }

  #startPinch() {
    // A second finger turns whatever the first one started into a pinch.
    if (this.#gesture) this.#undoGesture(this.#gesture);
    this.#gesture = null;
    this.#container.classList.remove("is-panning", "is-dragging", "is-connecting");
    const [a, b] = [...this.#pointers.values()];
    this.#pinch = { distance: Math.hypot(a.x - b.x, a.y - b.y) || 1, middle: midpoint(a, b), view: { ...this.#view } };
  }

  #movePinch() {
    const [a, b] = [...this.#pointers.values()];
    const { distance, middle, view } = this.#pinch;
    const k = clamp((view.k * Math.hypot(a.x - b.x, a.y - b.y)) / distance, ZOOM_MIN, ZOOM_MAX);
    const start = this.#toLocal(middle.x, middle.y);
    const current = midpoint(a, b);
    const now = this.#toLocal(current.x, current.y);
    const gx = (start.x - view.x) / view.k, gy = (start.y - view.y) / view.k;
    this.#view = { k, x: now.x - gx * k, y: now.y - gy * k };
    this.#applyView();
  }

  #wheel(event) {
    event.preventDefault();
    const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1;
    const speed = event.ctrlKey ? 0.01 : 0.0015; // ctrlKey: a trackpad pinch
    const local = this.#toLocal(event.clientX, event.clientY);
    this.#zoomAt(local.x, local.y, Math.exp(-event.deltaY * unit * speed));
  }

  // --- Connecting -------------------------------------------------------------------------------

  #nodeAt(clientX, clientY) {
    const element = document.elementFromPoint(clientX, clientY)?.closest?.(".wf-node");
    return element && this.#nodeLayer.contains(element) ? this.#idOf.get(element) : undefined;
  }

  #dragRubber(gesture, clientX, clientY) {
    clearTimeout(this.#refuseTimer);
    const to = this.#nodeAt(clientX, clientY);
    const candidate = to !== undefined && to !== gesture.id ? to : undefined;
    const problem = candidate !== undefined ? this.#connectProblem(gesture.id, candidate) : null;
    const from = this.#pos.get(gesture.id);
    const end = candidate !== undefined
      ? { x: this.#pos.get(candidate).x, y: this.#pos.get(candidate).y + NODE_H / 2 }
      : this.#toGraph(clientX, clientY);
    this.#rubber.setAttribute("d", edgePath(from.x + NODE_W, from.y + NODE_H / 2, end.x, end.y, end.x));
    this.#rubber.removeAttribute("display");
    this.#rubber.classList.toggle("is-refused", Boolean(problem));
    this.#markCandidate(candidate, problem);
  }

  #dropRubber(gesture, clientX, clientY) {
    const to = this.#nodeAt(clientX, clientY);
    this.#markCandidate(undefined);
    if (to === undefined) return this.#hideRubber();
    const problem = this.#connectProblem(gesture.id, to);
    if (problem) {
      this.#rubber.classList.add("is-refused");
      this.#announce(problem, "error");
      this.#refuseTimer = setTimeout(() => this.#hideRubber(), 900);
      return;
    }
    this.#hideRubber();
    this.#announce(`${this.#titleOf(to)} now depends on ${this.#titleOf(gesture.id)}.`);
    this.#onChange({ type: "connect", from: gesture.id, to });
  }

  #markCandidate(id, problem = null) {
    if (this.#candidate !== undefined && this.#candidate !== id) {
      this.#nodes.get(this.#candidate)?.el.classList.remove("is-drop-target", "is-drop-refused");
    }
    this.#candidate = id;
    const el = this.#nodes.get(id)?.el;
    el?.classList.toggle("is-drop-target", !problem);
    el?.classList.toggle("is-drop-refused", Boolean(problem));
  }

  #hideRubber() {
    clearTimeout(this.#refuseTimer);
    this.#rubber.setAttribute("display", "none");
    this.#rubber.classList.remove("is-refused");
  }

  // --- Keyboard and focus -----------------------------------------------------------------------

  #focusedNodeId() {
    const active = document.activeElement;
    return active && this.#nodeLayer.contains(active) ? this.#idOf.get(active) : undefined;
  }

  #focusQuietly(element) {
    this.#quietFocus = true;
    try {
      element.focus({ preventScroll: true });
    } finally {
      this.#quietFocus = false;
    }
  }

  /** Keyboard focus on a node selects it and brings it into view. */
  #focusIn(event) {
    if (this.#quietFocus) return;
    const id = this.#idOf.get(event.target);
    if (id === undefined) return;
    this.#container.classList.add("is-keyboard");
    this.#ensureVisible(id);
    this.#choose({ type: "node", id });
  }

  #keyDown(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    this.#container.classList.add("is-keyboard");
    const inGraph = this.#svg.contains(event.target);
    const id = inGraph ? this.#idOf.get(event.target) : undefined;
    if (this.#handleKey(event.key, id, inGraph, event.shiftKey)) event.preventDefault();
  }

  #handleKey(key, id, inGraph, shift) {
    switch (key) {
      case "+":
      case "=":
        this.zoomBy(ZOOM_STEP);
        return true;
      case "-":
      case "_":
        this.zoomBy(1 / ZOOM_STEP);
        return true;
      case "0":
        this.fit();
        return true;
      case "Escape":
        if (this.#gesture) this.#cancelGesture();
        else if (this.#selection) this.#choose(null);
        else return false;
        return true;
    }
    if (!inGraph) return false;
    if (key === "Delete" || key === "Backspace") return this.#deleteSelection();
    const arrow = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[key];
    if (arrow && (this.#readOnly || id === undefined)) {
      this.#panBy(-arrow[0] * PAN_STEP, -arrow[1] * PAN_STEP);
      return true;
    }
    if (id === undefined) return false;
    if (key === "Enter") {
      this.#onOpen(id);
      return true;
    }
    if (key === " ") {
      this.#choose({ type: "node", id });
      return true;
    }
    if (!arrow) return false;
    const step = shift ? KEY_STEP * 5 : KEY_STEP;
    const point = this.#pos.get(id);
    this.#moveNode(id, { x: Math.round(point.x + arrow[0] * step), y: Math.round(point.y + arrow[1] * step) });
    this.#ensureVisible(id);
    this.#onChange({ type: "move", positions: this.positions() });
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function normalizeStatus(status) {
  return STATUSES.includes(status) ? status : null;
}

function normalizeNodes(nodes) {
  const seen = new Set();
  const list = [];
  for (const node of nodes ?? []) {
    if (node?.id == null || seen.has(node.id)) continue;
    seen.add(node.id);
    const title = String(node.title ?? node.id);
    list.push({
      id: node.id,
      title,
      subtitle: node.subtitle ? String(node.subtitle) : "",
      icon: badgeText(node.icon, title),
      status: normalizeStatus(node.status),
      problems: Array.isArray(node.problems) ? node.problems.map(String).filter(Boolean) : [],
    });
  }
  return list;
}

function normalizeEdges(edges, known) {
  const seen = new Set();
  const list = [];
  for (const edge of edges ?? []) {
    if (!known.has(edge?.from) || !known.has(edge?.to) || edge.from === edge.to) continue;
    const key = edgeKey(edge.from, edge.to);
    if (seen.has(key)) continue;
    seen.add(key);
    list.push({ from: edge.from, to: edge.to });
  }
  return list;
}

function badgeText(icon, title) {
  const text = String(icon ?? "").trim() || title.trim().charAt(0).toUpperCase() || "?";
  return [...text].slice(0, 2).join("");
}

function nodeLabel(data) {
  const parts = [data.title];
  if (data.status) parts.push(data.status);
  if (data.problems.length) {
    parts.push(`${data.problems.length} ${data.problems.length === 1 ? "problem" : "problems"}: ${data.problems.join("; ")}`);
  }
  return parts.join(", ");
}

function validPoint(point) {
  return point && Number.isFinite(point.x) && Number.isFinite(point.y) ? point : null;
}

/** A spot for a node added to a laid-out graph: after its dependencies, before its dependants,
 *  or below everything; moved down until it overlaps no other node. */
function placeNear(id, links, positions) {
  const before = links.filter((link) => link.to === id && positions.has(link.from)).map((link) => positions.get(link.from));
  const after = links.filter((link) => link.from === id && positions.has(link.to)).map((link) => positions.get(link.to));
  const all = [...positions.values()];
  let point;
  if (before.length) point = { x: Math.max(...before.map((p) => p.x)) + NODE_W + GAP_X, y: average(before.map((p) => p.y)) };
  else if (after.length) point = { x: Math.min(...after.map((p) => p.x)) - NODE_W - GAP_X, y: average(after.map((p) => p.y)) };
  else point = { x: Math.min(...all.map((p) => p.x)), y: Math.max(...all.map((p) => p.y)) + NODE_H + GAP_Y };
  const overlaps = (p) => all.some((q) => Math.abs(q.x - p.x) < NODE_W + GAP_X / 2 && Math.abs(q.y - p.y) < NODE_H + GAP_Y / 2);
  while (overlaps(point)) point.y += NODE_H + GAP_Y;
  return { x: Math.round(point.x), y: Math.round(point.y) };
}

/** The path of an edge from an output port at `sx, sy` to an input port at `tx, ty`, ending at `endX`
 *  on the target's row (short of the arrowhead): an S-curve forwards, a U-turn below both ends backwards. */
function edgePath(sx, sy, tx, ty, endX) {
  if (tx - sx >= 40) {
    const bend = Math.max(40, (tx - sx) / 2);
    return `M${sx} ${sy} C${sx + bend} ${sy} ${tx - bend} ${ty} ${endX} ${ty}`;
  }
  const lane = Math.max(sy, ty) + NODE_H / 2 + GAP_Y;
  const turn = Math.min(48, (lane - Math.min(sy, ty)) * 0.75);
  return `M${sx} ${sy} C${sx + turn} ${sy} ${sx + turn} ${lane} ${sx} ${lane} L${tx} ${lane} ` +
    `C${tx - turn} ${lane} ${tx - turn} ${ty} ${endX} ${ty}`;
}

/** Writes `text` into an SVG text element, cut with an ellipsis to `max` pixels; true when cut. */
function fitText(element, text, max) {
  element.textContent = text;
  if (!text || textWidth(element) <= max) return false;
  let low = 0, high = text.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    element.textContent = text.slice(0, middle).trimEnd() + "…";
    if (textWidth(element) <= max) low = middle;
    else high = middle - 1;
  }
  element.textContent = text.slice(0, low).trimEnd() + "…";
  return true;
}

function textWidth(element) {
  let width = 0;
  try {
    width = element.getComputedTextLength();
  } catch {
    // Not rendered (a hidden container): estimate below.
  }
  return width || element.textContent.length * 7;
}

function svgEl(tag, attributes = {}, parent = null) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  parent?.appendChild(element);
  return element;
}

function htmlEl(tag, attributes = {}, parent = null) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  parent?.appendChild(element);
  return element;
}

function clamp(value, min, max) {
  return Math.min(max, Math.max(min, value));
}

function lerp(a, b, t) {
  return a + (b - a) * t;
}

function lerpPoint(a, b, t) {
  return { x: lerp(a.x, b.x, t), y: lerp(a.y, b.y, t) };
}

function easeInOut(t) {
  return t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2;
}

function midpoint(a, b) {
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

function prefersReducedMotion() {
  return window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
}
