// The module editor (/modules/<category>/<Name>/edit/): the source in CodeMirror 5's Python mode
// (the plain textarea when Debian's package is missing), saved without leaving the page. The
// page's own form posts the same fields when this script does not run.
//
// Save posts `code` and `comment` to the form's action asking for JSON; the answer carries the
// new version and the introspection sidebar drawn anew by the server. A syntax error saves
// nothing: it is shown with its line and column, and the cursor goes there.

import { csrf, guardEditing } from "./app.js";

const form = document.getElementById("module-editor");
const textarea = document.getElementById("module-code");
const saveButton = document.getElementById("module-save");
const stateLabel = document.getElementById("module-state");
const errorBox = document.getElementById("module-error");
const versionBadge = document.getElementById("module-version");
const commentInput = document.getElementById("module-comment");
const inspection = document.getElementById("module-inspection");

let editor = null;
/** Esc, then Tab, leaves the editor (Tab alone indents): no keyboard trap. */
let leaving = false;
let errorMark = null;
let saving = false;
let message = "";

function setupEditor() {
  if (typeof window.CodeMirror !== "function") return;
  editor = window.CodeMirror.fromTextArea(textarea, {
    mode: "python",
    lineNumbers: true,
    indentUnit: 4,
    tabSize: 4,
    indentWithTabs: false,
    matchBrackets: true,
    styleActiveLine: true,
    extraKeys: {
      Tab: (cm) => {
        if (leaving) return window.CodeMirror.Pass;
        if (cm.somethingSelected()) cm.indentSelection("add");
        else cm.replaceSelection(" ".repeat(cm.getOption("indentUnit") - (cm.getCursor().ch % cm.getOption("indentUnit"))), "end");
      },
      "Shift-Tab": (cm) => {
        if (leaving) return window.CodeMirror.Pass;
        cm.indentSelection("subtract");
      },
      Esc: () => {
        leaving = true;
      },
    },
  });
  editor.on("keydown", (cm, event) => {
    if (event.key !== "Escape" && event.key !== "Tab") leaving = false;
  });
  editor.on("blur", () => {
    leaving = false;
  });
  editor.getInputField().setAttribute("aria-label", `Source of ${form.dataset.name} (Tab indents; Esc then Tab leaves the editor)`);
  editor.on("changes", changed);
}

function text() {
  return editor ? editor.getValue() : textarea.value;
}

/** Browsers send line breaks as CRLF; the server stores LF. */
function normalized(value) {
  return value.replace(/\r\n/g, "\n");
}

let savedText = normalized(text());

function isDirty() {
  return normalized(text()) !== savedText;
}

function updateState() {
  const dirty = isDirty();
  stateLabel.textContent = saving ? "Saving…" : dirty ? "Unsaved changes" : message || "No changes";
  stateLabel.classList.toggle("is-dirty", dirty && !saving);
}

function changed() {
  clearErrorMark();
  message = "";
  updateState();
}

// ---------------------------------------------------------------------------------------------
// Going to a line

function clearErrorMark() {
  if (errorMark !== null && editor) editor.removeLineClass(errorMark, "background", "module-error-line");
  errorMark = null;
}

/** Puts the cursor at `line`, `column` (both from 1) and scrolls there; `mark` colours the line until the next edit. */
function goTo(line, column = 1, mark = false) {
  if (editor) {
    const index = Math.max(0, Math.min(editor.lineCount() - 1, line - 1));
    editor.focus();
    editor.setCursor({ line: index, ch: Math.max(0, (column || 1) - 1) });
    const top = editor.charCoords({ line: index, ch: 0 }, "local").top;
    editor.scrollTo(null, Math.max(0, top - editor.getScrollInfo().clientHeight / 3));
    clearErrorMark();
    if (mark) errorMark = editor.addLineClass(index, "background", "module-error-line");
    else {
      const handle = editor.addLineClass(index, "background", "module-flash-line");
      setTimeout(() => editor.removeLineClass(handle, "background", "module-flash-line"), 1600);
    }
    return;
  }
  const lines = textarea.value.split("\n");
  const index = Math.max(0, Math.min(lines.length - 1, line - 1));
  let offset = 0;
  for (let i = 0; i < index; i += 1) offset += lines[i].length + 1;
  offset += Math.min(lines[index].length, Math.max(0, (column || 1) - 1));
  textarea.focus();
  textarea.setSelectionRange(offset, offset);
  const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 20;
  textarea.scrollTop = Math.max(0, index * lineHeight - textarea.clientHeight / 3);
}

// ---------------------------------------------------------------------------------------------
// Messages

function showError(text, problem) {
  errorBox.hidden = false;
  errorBox.replaceChildren(document.createTextNode(text));
  if (problem?.text) {
    const code = document.createElement("code");
    const caret = problem.column ? `\n${" ".repeat(Math.max(0, problem.column - 1))}^` : "";
    code.textContent = problem.text + caret;
    errorBox.append(code);
  }
  if (problem?.line) goTo(problem.line, problem.column ?? 1, true);
}

function hideError() {
  errorBox.hidden = true;
  errorBox.replaceChildren();
}

function methodNames() {
  return new Set([...inspection.querySelectorAll(".module-method")].map((node) => node.dataset.method));
}

// ---------------------------------------------------------------------------------------------
// Saving

async function save() {
  if (saving) return;
  saving = true;
  saveButton.classList.add("is-busy");
  saveButton.setAttribute("aria-busy", "true");
  updateState();
  const sent = normalized(text());
  const body = new URLSearchParams({ csrf_token: csrf(), code: sent, comment: commentInput.value });
  let answer = null;
  let data = null;
  try {
    answer = await fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body,
    });
    if ((answer.headers.get("Content-Type") ?? "").includes("application/json")) data = await answer.json();
  } catch (error) {
    data = { status: "error", message: `The server could not be reached (${error.message}). Your text is still here; save again.` };
  } finally {
    saving = false;
    saveButton.classList.remove("is-busy");
    saveButton.removeAttribute("aria-busy");
  }
  if (!data) {
    const signedOut = answer?.redirected && new URL(answer.url).pathname.startsWith("/accounts/login/");
    data = {
      status: "error",
      message: signedOut
        ? "You have been signed out. Sign in again in another tab, then save: your text is still here."
        : `The server answered ${answer?.status ?? "nothing"}${answer?.statusText ? ` ${answer.statusText}` : ""}. Your text is still here; save again.`,
    };
  }
  if (data.status === "error") {
    message = "";
    showError(data.message, data.problem);
    updateState();
    return;
  }
  savedText = sent;
  message = data.message;
  hideError();
  if (data.warning) showError(data.warning);
  if (versionBadge && data.version) versionBadge.textContent = `v${data.version}`;
  if (data.status !== "unchanged") commentInput.value = "";
  if (typeof data.inspection === "string") {
    const before = methodNames();
    inspection.innerHTML = data.inspection;
    inspection.querySelectorAll(".module-method").forEach((node) => {
      if (!before.has(node.dataset.method)) node.classList.add("is-new");
    });
  }
  form.dataset.saves = String(Number(form.dataset.saves ?? 0) + 1);
  updateState();
}

// ---------------------------------------------------------------------------------------------

function start() {
  setupEditor();
  if (!editor) textarea.addEventListener("input", changed);
  const topbar = document.querySelector(".topbar");
  if (topbar) form.style.setProperty("--module-sticky-top", `${topbar.offsetHeight}px`);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  guardEditing(() => save(), isDirty);
  // Links to a method's line (the sidebar) or to a problem's place.
  inspection.addEventListener("click", (event) => {
    const link = event.target.closest("[data-source-line]");
    if (!link) return;
    event.preventDefault();
    goTo(Number(link.dataset.sourceLine) || 1, Number(link.dataset.sourceColumn) || 1, false);
  });
  // A save refused without this script (the form was posted): go to the problem.
  const line = Number(form.dataset.errorLine);
  if (line > 0) goTo(line, Number(form.dataset.errorColumn) || 1, true);
  updateState();
  form.dataset.ready = "true";
}

start();
