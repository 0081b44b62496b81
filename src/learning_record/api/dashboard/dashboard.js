// The ops dashboard: polls the summary endpoint with the operator's key (kept in this tab's
// sessionStorage) and draws rates, lag, freshness, dead letters and workers.
"use strict";

const KEY_NAME = "lr-ops-key";
const POLL_MS = 1500;
const SLOTS = 80; // points kept per chart: two minutes at 1.5 s

const history = [];
let timer = null;

const $ = (id) => document.getElementById(id);

function showForm(message) {
  $("board").hidden = true;
  $("key-form").hidden = false;
  $("key-error").hidden = !message;
  $("key-error").textContent = message || "";
  $("key-input").focus();
}

function showBoard() {
  $("key-form").hidden = true;
  $("board").hidden = false;
}

async function poll() {
  const key = sessionStorage.getItem(KEY_NAME);
  if (!key) return showForm();
  let response;
  try {
    response = await fetch("summary", { headers: { "x-api-key": key }, cache: "no-store" });
  } catch (error) {
    setStatus("unknown", "API unreachable", [String(error)]);
    return schedule();
  }
  if (response.status === 401 || response.status === 403) {
    sessionStorage.removeItem(KEY_NAME);
    const body = await response.json().catch(() => ({}));
    return showForm((body.error && body.error.message) || `refused (${response.status})`);
  }
  if (!response.ok) {
    setStatus("unknown", `summary failed (${response.status})`, []);
    return schedule();
  }
  showBoard();
  render(await response.json());
  schedule();
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(poll, POLL_MS);
}

function setStatus(state, text, reasons) {
  const pill = $("status");
  pill.className = `pill ${state}`;
  pill.textContent = text;
  pill.title = reasons.join("\n");
  $("reasons").replaceChildren(...reasons.map((r) => Object.assign(document.createElement("li"), { textContent: r })));
}

function series(field) {
  return history.slice(-SLOTS).map((sample) => sample[field]);
}

function fmtRate(value) {
  if (value === null) return "–";
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function fmtSeconds(value) {
  if (value === null || value === undefined) return "–";
  if (value < 1) return `${Math.round(value * 1000)} ms`;
  return `${value.toFixed(value < 10 ? 2 : 1)} s`;
}

function render(summary) {
  const totals = summary.totals;
  const rates = summary.rates;
  const fresh = summary.freshness.indicators.samples ? summary.freshness.indicators : summary.freshness.view;
  // Rates come from the server, which compares the processes' counters a few seconds apart.
  history.push({
    t: summary.at_ms,
    ingestRate: rates.accepted_per_s,
    processingRate: rates.processed_per_s,
    dlq: summary.dead_letter_records ?? 0,
    p50: fresh.p50_s,
    p99: fresh.p99_s,
  });
  if (history.length > SLOTS) history.shift();
  document.body.dataset.samples = String(history.length);
  const ingestRate = rates.accepted_per_s;
  const processingRate = rates.processed_per_s;

  const ready = summary.ready;
  setStatus(ready.status, ready.status === "ready" ? "ready" : "not ready", ready.reasons);

  $("ingest-rate").textContent = fmtRate(ingestRate);
  $("ingest-total").textContent = totals.accepted.toLocaleString("en");
  drawLines($("ingest-chart"), [series("ingestRate")], { slots: SLOTS, unit: "/s" });

  $("processing-rate").textContent = fmtRate(processingRate);
  $("processed-total").textContent = totals.processed.toLocaleString("en");
  drawLines($("processing-chart"), [series("processingRate")], { slots: SLOTS, unit: "/s" });

  $("freshness-p50").textContent = fmtSeconds(fresh.p50_s);
  $("freshness-p99").textContent = fmtSeconds(fresh.p99_s);
  drawLines($("freshness-chart"), [series("p50"), series("p99")], { slots: SLOTS, unit: "s", area: false });

  renderLag(summary.lag);

  $("dlq-count").textContent = (summary.dead_letter_records ?? "–").toLocaleString("en");
  drawLines($("dlq-chart"), [series("dlq")], { slots: SLOTS });

  renderWorkers(summary.workers);
  renderScrapes(summary.processes);
  $("updated").textContent = `updated ${new Date(summary.at_ms).toLocaleTimeString()}`;
}

function renderLag(lag) {
  if (!lag) {
    $("lag-total").textContent = "?";
    $("lag-seconds").textContent = "Kafka unreachable";
    return drawBars($("lag-chart"), []);
  }
  $("lag-group").textContent = `group ${lag.group} · ${lag.state}`;
  $("lag-total").textContent = lag.totals.lag_messages.toLocaleString("en");
  $("lag-seconds").textContent = fmtSeconds(lag.totals.max_lag_seconds);
  const bars = lag.partitions.map((p) => ({
    label: `${p.topic}[${p.partition}]`,
    short: `${shortTopic(p.topic)}/${p.partition}`,
    value: p.lag_messages,
    state: p.lag_messages === 0 ? "" : p.lag_seconds >= 10 ? "stuck" : "behind",
  }));
  drawBars($("lag-chart"), bars);
}

// "lr.learner-ops" -> "learner": the prefix is the same for every topic of a deployment.
function shortTopic(topic) {
  return topic.split(".").pop().replace(/-events$/, "").replace(/^statements$/, "stmt").slice(0, 9);
}

function renderWorkers(workers) {
  const rows = workers.map((w) => {
    const row = document.createElement("tr");
    const partitions = Object.entries(w.assigned).map(([topic, ps]) => `${topic.split(".").pop()}: ${ps.join(",")}`).join(" · ");
    const cells = [
      `<span class="dot ${w.fresh ? "fresh" : "stale"}"></span>${escapeHtml(w.worker)}`,
      `${w.age_s.toFixed(1)} s ago`,
      escapeHtml(partitions || "none"),
      w.events.toLocaleString("en"),
      w.metrics_url ? escapeHtml(w.metrics_url) : "off",
    ];
    row.innerHTML = cells.map((c) => `<td>${c}</td>`).join("");
    return row;
  });
  $("workers").tBodies[0].replaceChildren(...rows);
  const live = workers.filter((w) => w.fresh).length;
  $("worker-count").textContent = `${live} beating of ${workers.length} known`;
}

// The figures above add up the processes whose /metrics answered: say which did not.
function renderScrapes(processes) {
  const silent = processes.filter((p) => !p.answered);
  $("scrape-count").textContent = `/metrics read from ${processes.length - silent.length} of ${processes.length} processes`;
  $("scrape-errors").replaceChildren(...silent.map((p) => Object.assign(document.createElement("li"), {
    textContent: `${p.component} ${p.process}${p.metrics_url ? ` (${p.metrics_url})` : ""}: ${p.error}`,
  })));
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("key-input").value.trim();
  if (!key) return;
  sessionStorage.setItem(KEY_NAME, key);
  $("key-input").value = "";
  poll();
});

$("forget-key").addEventListener("click", (event) => {
  event.preventDefault();
  sessionStorage.removeItem(KEY_NAME);
  clearTimeout(timer);
  showForm();
});

poll();
