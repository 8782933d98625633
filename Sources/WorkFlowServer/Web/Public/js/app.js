// Behaviour shared by every page. Pages work without it; it adds the theme switch, the
// sidebar on narrow screens, confirmations, busy buttons and per-page choices that apply at once.

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

/** The session's CSRF token, for scripts that call the API (`X-CSRF-Token`). */
export function csrf() {
  return csrfToken;
}

/** fetch() with the session cookie and the CSRF token; JSON in and out. Throws an Error whose
 *  message is the server's explanation when the answer is not 2xx. */
export async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken, Accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const message = data?.error?.message ?? data?.error ?? `${response.status} ${response.statusText}`;
    const error = new Error(message);
    error.status = response.status;
    error.details = data?.error?.details;
    throw error;
  }
  return data;
}

// Theme: auto (the system's) → dark → light → auto, remembered in this browser.
const themes = ["auto", "dark", "light"];
function applyTheme(theme) {
  document.documentElement.dataset.theme = themes.includes(theme) ? theme : "auto";
}
applyTheme(localStorage.getItem("wf-theme"));
document.querySelectorAll("[data-theme-toggle]").forEach((button) => {
  button.addEventListener("click", () => {
    const current = document.documentElement.dataset.theme;
    const next = themes[(themes.indexOf(current) + 1) % themes.length];
    localStorage.setItem("wf-theme", next);
    applyTheme(next);
    button.title = `Theme: ${next}`;
  });
});

// The sidebar on narrow screens.
const shell = document.querySelector(".shell");
document.querySelectorAll("[data-toggle-sidebar]").forEach((button) => {
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    shell?.classList.toggle("sidebar-open");
  });
});
document.addEventListener("click", (event) => {
  if (shell?.classList.contains("sidebar-open") && !event.target.closest(".sidebar")) shell.classList.remove("sidebar-open");
});

// Close the account menu on Escape or a click elsewhere.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.user-menu[open]").forEach((menu) => {
    menu.open = false;
    menu.querySelector("summary")?.focus();
  });
  shell?.classList.remove("sidebar-open");
});
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.user-menu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.open = false;
  });
});

// Messages can be dismissed.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-dismiss]");
  if (button) button.parentElement.remove();
});

// A form being sent shows it on its button and cannot be sent twice.
document.querySelectorAll("form[data-busy-form]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (event.defaultPrevented) return;
    const button = event.submitter ?? form.querySelector('button[type="submit"]');
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "1";
    button?.classList.add("is-busy");
    button?.setAttribute("aria-busy", "true");
  });
});
// Coming back with the browser's Back button shows the page as it was left: clear busy states.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-sending]").forEach((form) => delete form.dataset.sending);
  document.querySelectorAll(".is-busy").forEach((button) => {
    button.classList.remove("is-busy");
    button.removeAttribute("aria-busy");
  });
});

// Links to a confirmation page ask here instead, then post the form themselves.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-confirm-post]");
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey) return;
  event.preventDefault();
  if (!window.confirm(link.dataset.confirmPost)) return;
  const form = document.createElement("form");
  form.method = "post";
  form.action = link.getAttribute("href");
  const token = document.createElement("input");
  token.type = "hidden";
  token.name = "csrf_token";
  token.value = csrfToken;
  form.append(token);
  document.body.append(form);
  link.classList.add("is-busy");
  form.submit();
});

// Choosing how many rows per page applies at once.
document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});

/** Ctrl/Cmd+S calls `save`, and leaving the page asks first while `isDirty()` (the editors). */
export function guardEditing(save, isDirty) {
  window.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && (event.key ?? "").toLowerCase() === "s") {
      event.preventDefault();
      save();
    }
  }, { capture: true });
  window.addEventListener("beforeunload", (event) => {
    if (!isDirty()) return;
    event.preventDefault();
    event.returnValue = "";
  });
}
