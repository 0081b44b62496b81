// Drives the ops dashboard in headless Chromium (Debian's, with playwright-core) against a live
// API; prints one JSON line of what it saw. Run by tests/integration/test_dashboard.py.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const config = JSON.parse(process.argv[2]);

let keepPosting = true;

// Posts `count` statements, then goes on until told to stop, so that the screenshot shows traffic.
async function postStatements(count, batch, posted) {
  for (let sent = 0; sent < count || keepPosting; sent += batch) {
    const statements = Array.from({ length: batch }, (_, i) => ({
      actor: { mbox: `mailto:dash-${(sent + i) % 7}@example.org` },
      verb: { id: "http://adlnet.gov/expapi/verbs/completed" },
      object: { id: `https://example.org/activities/dash-${(sent + i) % 5}` },
    }));
    const response = await fetch(config.statementsUrl, {
      method: "POST",
      headers: {
        "x-api-key": config.writeKey,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
      },
      body: JSON.stringify(statements),
    });
    if (response.status !== 200) throw new Error(`POST answered ${response.status}`);
    posted.count = sent + batch;
    await new Promise((resolve) => setTimeout(resolve, config.pauseMs));
  }
}

const number = (text) => Number(String(text).replace(/[^0-9.]/g, ""));

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "lr-dashboard-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: config.chromium,
    headless: true,
    viewport: { width: 1400, height: 920 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const seen = {};
  try {
    const page = context.pages()[0] || (await context.newPage());
    await page.goto(config.dashboardUrl);
    await page.waitForSelector("#key-form:not([hidden])");
    seen.asksForKey = true;

    await page.fill("#key-input", config.wrongKey);
    await page.click("#key-form button");
    await page.waitForSelector("#key-error:not([hidden])");
    seen.wrongKeyMessage = await page.textContent("#key-error");

    await page.fill("#key-input", config.opsKey);
    await page.click("#key-form button");
    await page.waitForSelector("#board:not([hidden])");
    seen.keyInSession = (await page.evaluate(() => sessionStorage.getItem("lr-ops-key"))) === config.opsKey;
    await page.waitForFunction(() => document.querySelectorAll("#lag-chart rect.bar").length > 0);
    seen.initialTotal = number(await page.textContent("#ingest-total"));

    const samplesBefore = Number(await page.evaluate(() => document.body.dataset.samples));
    const posted = { count: 0 };
    const posting = postStatements(config.statements, config.batch, posted);
    posting.catch(() => {});
    await page.waitForFunction(
      (wanted) => Number(document.querySelector("#ingest-total").textContent.replace(/[^0-9]/g, "")) >= wanted,
      seen.initialTotal + config.statements,
      { timeout: 30000 },
    );
    seen.finalTotal = number(await page.textContent("#ingest-total"));
    // Rates need a few polls: wait until both charts draw a line with a value above zero.
    await page.waitForFunction(
      () => ["#ingest-chart", "#processing-chart"].every((c) => document.querySelector(`${c} path.series`)) &&
        Number(document.querySelector("#ingest-rate").textContent) > 0,
      null,
      { timeout: 30000 },
    );
    seen.ingestRate = number(await page.textContent("#ingest-rate"));
    // Let the charts draw the whole burst before the screenshot.
    await page.waitForFunction((n) => Number(document.body.dataset.samples) >= n, samplesBefore + 12, { timeout: 30000 });
    seen.charts = await page.evaluate(() =>
      Object.fromEntries([...document.querySelectorAll("svg.chart")].map((svg) => [
        svg.id,
        { series: svg.querySelectorAll("path.series").length, bars: svg.querySelectorAll("rect.bar").length },
      ])));
    seen.status = await page.textContent("#status");
    seen.freshnessP99 = await page.textContent("#freshness-p99");
    seen.workers = await page.$$eval("#workers tbody tr", (rows) => rows.length);
    await page.screenshot({ path: config.screenshot, fullPage: true });
    keepPosting = false;
    await posting;
    seen.posted = posted.count;
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(JSON.stringify(seen));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
