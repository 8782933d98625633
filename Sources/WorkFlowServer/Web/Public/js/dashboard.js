// Draws the dashboard's charts with Chart.js when it is installed (Debian's libjs-chart.js,
// served under /vendor/); without it the tables under the charts say the same.

const data = JSON.parse(document.getElementById("chart-data")?.textContent ?? "null");

/** The colour a design token stands for in the current theme, as rgb() (the tokens are
 *  light-dark() pairs, which only the browser resolves). */
function color(name) {
  const probe = document.createElement("span");
  probe.style.color = `var(${name})`;
  document.body.append(probe);
  const resolved = getComputedStyle(probe).color;
  probe.remove();
  return resolved;
}

function draw() {
  if (!data || typeof window.Chart !== "function") return;
  const grid = color("--border");
  const text = color("--muted");
  const scales = {
    x: { grid: { color: grid }, ticks: { color: text } },
    y: { grid: { color: grid }, ticks: { color: text }, beginAtZero: true },
  };
  const labels = data.labels.map((label) => label.slice(5));
  const runs = document.getElementById("runs-chart");
  runs.hidden = false;
  new window.Chart(runs, {
    type: "bar",
    data: {
      labels,
      datasets: [
        { label: "Success", data: data.success, backgroundColor: color("--success") },
        { label: "Failed", data: data.failed, backgroundColor: color("--danger") },
        { label: "Cancelled", data: data.cancelled, backgroundColor: color("--muted") },
        { label: "Queued or running", data: data.other, backgroundColor: color("--warning") },
      ],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { ...scales.x, stacked: true }, y: { ...scales.y, stacked: true, ticks: { color: text, precision: 0 } } },
      plugins: { legend: { labels: { color: text } } },
    },
  });
  const durations = document.getElementById("duration-chart");
  durations.hidden = false;
  new window.Chart(durations, {
    type: "line",
    data: {
      labels,
      datasets: [
        { label: "p50 (ms)", data: data.p50, borderColor: color("--accent"), backgroundColor: color("--accent"), spanGaps: true },
        { label: "p95 (ms)", data: data.p95, borderColor: color("--warning"), backgroundColor: color("--warning"), spanGaps: true },
      ],
    },
    options: { maintainAspectRatio: false, animation: false, scales, plugins: { legend: { labels: { color: text } } } },
  });
  // The charts say it now; the tables stay one click away.
  document.querySelectorAll("details.chart-table").forEach((details) => (details.open = false));
}

draw();
