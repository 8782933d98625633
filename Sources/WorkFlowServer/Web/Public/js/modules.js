// The module pages that only show things (/modules/, a module's page, one version): the list's
// filter and its form panels, confirmations, and the source highlighted by CodeMirror 5 when
// Debian's package is installed (the plain <pre> stays otherwise). Every page works without it.

// ---------------------------------------------------------------------------------------------
// The list: filter by name, description or method

const filter = document.getElementById("module-filter");
const filterEmpty = document.getElementById("module-filter-empty");

function applyFilter() {
  const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  document.querySelectorAll(".module-category").forEach((section) => {
    let any = false;
    section.querySelectorAll(".module-row").forEach((row) => {
      const match = words.every((word) => (row.dataset.search ?? "").includes(word) || (section.dataset.category ?? "").includes(word));
      row.hidden = !match;
      if (match) {
        any = true;
        shown += 1;
      }
    });
    section.hidden = words.length > 0 && !any;
  });
  if (filterEmpty) filterEmpty.hidden = !(words.length > 0 && shown === 0);
}

if (filter) {
  filter.hidden = false;
  filter.addEventListener("input", applyFilter);
  filter.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && filter.value) {
      filter.value = "";
      applyFilter();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The form panels (New module, Upload .py, New category, Rename): one open at a time, the first
// field (or the one with a problem) focused, closed by Escape or a click elsewhere.

const panels = [...document.querySelectorAll("details.module-action")];
panels.forEach((details) => {
  details.addEventListener("toggle", () => {
    if (!details.open) return;
    panels.forEach((other) => {
      if (other !== details) other.open = false;
    });
    const field = details.querySelector('[aria-invalid="true"]') ?? details.querySelector("input:not([type=hidden]):not([type=checkbox]), select");
    field?.focus();
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const open = panels.find((details) => details.open);
  if (!open) return;
  open.open = false;
  open.querySelector("summary")?.focus();
});
document.addEventListener("click", (event) => {
  panels.forEach((details) => {
    if (details.open && !details.contains(event.target)) details.open = false;
  });
});
// A panel the server opened (a refused form) shows its problem first.
const refused = panels.find((details) => details.open);
if (refused) {
  refused.scrollIntoView({ block: "nearest" });
  (refused.querySelector('[aria-invalid="true"]') ?? refused.querySelector("input:not([type=hidden])"))?.focus();
}

// Forms that ask first. The capture listener runs before app.js's busy-button one, which then
// sees the cancelled submit and leaves the button alone.
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  }, { capture: true });
});

// ---------------------------------------------------------------------------------------------
// Source: highlighted, read-only, with line numbers; method and problem links scroll to their line.

const source = document.getElementById("module-source");
let viewer = null;
if (source && typeof window.CodeMirror === "function") {
  viewer = window.CodeMirror((element) => source.replaceWith(element), {
    value: source.textContent,
    mode: "python",
    readOnly: true,
    lineNumbers: true,
    viewportMargin: Infinity,
    tabSize: 4,
    indentUnit: 4,
  });
  const wrapper = viewer.getWrapperElement();
  wrapper.classList.add("module-readonly");
  wrapper.id = "module-source-view";
  viewer.getInputField().setAttribute("aria-label", "Source (read-only)");
}

function showLine(line) {
  if (!viewer) {
    document.getElementById("source")?.scrollIntoView({ block: "start" });
    return;
  }
  const index = Math.max(0, Math.min(viewer.lineCount() - 1, line - 1));
  const top = viewer.charCoords({ line: index, ch: 0 }, "local").top;
  viewer.getScrollerElement().scrollTop = Math.max(0, top - 60);
  viewer.getWrapperElement().scrollIntoView({ block: "nearest" });
  const handle = viewer.addLineClass(index, "background", "module-flash-line");
  setTimeout(() => viewer.removeLineClass(handle, "background", "module-flash-line"), 1600);
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-source-line]");
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey) return;
  event.preventDefault();
  showLine(Number(link.dataset.sourceLine) || 1);
});

document.body.dataset.modulesReady = "true";
