import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runCli } from "../helpers/cli.js";
import { type TwoCommitRepo, twoCommitRepo } from "./git-repo.js";

// `labelsweep report` opened in headless Chromium (Debian's chromium, driven
// by playwright-core): the page renders, the plots hold the expected series,
// nothing is logged as an error and nothing is fetched. .ci/run installs chromium.

const CHROMIUM = process.env.LABELSWEEP_CHROMIUM ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`report-browser.test: SKIPPED, no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

/** Headless Chromium as root on a closed network (flags from the machine notes). */
async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}

let repo: TwoCommitRepo;
let outDir: string;
beforeAll(async () => {
  repo = await twoCommitRepo();
  // Stand-ins for what the tfjs engine and the LVIS evaluator record per run:
  // loss from progress events, per-category AP with frequency groups.
  const runs = join(repo.dir, "results", "budget", "runs");
  for (const key of readdirSync(runs)) {
    const dir = join(runs, key);
    const config = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")).config;
    const w = config.method.weight ?? 0;
    const events = [1, 2, 3, 4].map((iter) =>
      JSON.stringify({ type: "progress", iter: iter * 10, total: 40, loss: 2 / iter + w / 10 }),
    );
    writeFileSync(
      join(dir, "events.jsonl"),
      `${readFileSync(join(dir, "events.jsonl"), "utf8")}${events.join("\n")}\n`,
    );
    const metrics = JSON.parse(readFileSync(join(dir, "metrics.json"), "utf8"));
    metrics.perCategory = [
      { id: 1, name: "square", ap: 0.5 + w / 100, frequency: "f" },
      { id: 2, name: "circle", ap: 0.3 + w / 100, frequency: "c" },
      { id: 3, name: "triangle", ap: 0.1, frequency: "r" },
    ];
    writeFileSync(join(dir, "metrics.json"), JSON.stringify(metrics));
  }
  const table = await runCli(["table", "spec.yaml"], { cwd: repo.dir });
  expect(table.code).toBe(0);
  outDir = join(repo.dir, "out");
  mkdirSync(outDir);
});

describe("labelsweep report", () => {
  it("writes one self-contained HTML file and SVG/PNG plot exports", async () => {
    const r = await runCli(
      [
        "report",
        "results/budget",
        "--out",
        "out/report.html",
        "--plots-dir",
        "out/plots",
        "--diff",
        repo.a,
        repo.b,
      ],
      { cwd: repo.dir },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("wrote out/report.html (4 plots)");
    const html = readFileSync(join(outDir, "report.html"), "utf8");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|url\(http/);
    const plots = readdirSync(join(outDir, "plots")).sort();
    expect(plots).toEqual(
      ["budget-budget", "budget-diff", "budget-loss", "budget-per-class"].flatMap((n) => [
        `${n}.png`,
        `${n}.svg`,
      ]),
    );
    const png = await sharp(join(outDir, "plots", "budget-budget.png")).metadata();
    expect(png.format).toBe("png");
    expect(png.width).toBeGreaterThan(400);
  });

  it.skipIf(!haveChromium)(
    "renders in headless Chromium with the expected series and no console errors",
    async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        const errors: string[] = [];
        const requests: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error") errors.push(m.text());
        });
        page.on("pageerror", (e) => errors.push(String(e)));
        page.on("request", (q) => {
          if (!q.url().startsWith("file:")) requests.push(q.url());
        });
        await page.goto(`file://${join(outDir, "report.html")}`);
        const shot = join(outDir, "report.png");
        await page.screenshot({ path: shot, fullPage: true });
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
        expect(await page.locator("figure[data-chart] svg").count()).toBe(4);
        // The budget plot: one line per method, in the legend and as line marks.
        const budget = page.locator('figure[data-chart="budget-budget"]');
        const legend = await budget.locator(".role-legend-label text").allTextContents();
        expect(legend.sort()).toEqual(["csd", "supervised"]);
        expect(await budget.locator(".mark-line path").count()).toBe(2);
        expect(await budget.locator(".mark-area path").count()).toBe(2);
        const perClass = page.locator('figure[data-chart="budget-per-class"]');
        const facets = await perClass.locator(".role-column-header text").allTextContents();
        expect(facets).toEqual(["rare", "common", "frequent"]);
        expect(await perClass.locator(".mark-rect path").count()).toBe(6);
        expect(await page.locator('figure[data-chart="budget-loss"] .mark-line path').count()).toBe(4);
        const table = await page.locator("section table").first().innerText();
        expect(table).toContain("36.0 ± 1.0 (3)");
        const diff = await page.locator("h2", { hasText: "Diff" }).count();
        expect(diff).toBe(1);
        const shotMeta = await sharp(shot).stats();
        // Not a blank page: the screenshot has more than one colour.
        expect(shotMeta.channels[0]!.min).toBeLessThan(shotMeta.channels[0]!.max);
      } finally {
        await browser.close();
      }
    },
  );

  it.skipIf(!haveChromium)(
    "renders the committed quickstart results (a real label-budget experiment) from its summary alone",
    async () => {
      // Only what git holds: summary.json and the tables, no run folders.
      const dir = mkdtempSync(join(tmpdir(), "ls-quickstart-report-"));
      for (const f of ["summary.json", "table.md", "table.csv"]) {
        cpSync(join(REPO_ROOT, "results", "quickstart", f), join(dir, "results", "quickstart", f));
      }
      const r = await runCli(["report", "results/quickstart", "--out", "report.html"], { cwd: dir });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        const errors: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error") errors.push(m.text());
        });
        page.on("pageerror", (e) => errors.push(String(e)));
        await page.goto(`file://${join(dir, "report.html")}`);
        // The README's picture is this page, a real committed experiment (not a test fixture):
        // LABELSWEEP_REPORT_SCREENSHOT=docs/report.png npx vitest run test/compare/report-browser.test.ts -t quickstart
        const shot = join(dir, "report.png");
        await page.screenshot({ path: shot, fullPage: true });
        if (process.env.LABELSWEEP_REPORT_SCREENSHOT)
          copyFileSync(shot, process.env.LABELSWEEP_REPORT_SCREENSHOT);
        expect(errors).toEqual([]);
        const summary = JSON.parse(readFileSync(join(dir, "results", "quickstart", "summary.json"), "utf8"));
        const budget = page.locator('figure[data-chart="quickstart-budget"]');
        // Supervised and CSD, the quickstart's two rows.
        const rows = await budget.locator(".role-legend-label text").allTextContents();
        expect([...rows].sort()).toEqual(["csd", "supervised"]);
        // Every metric of the table gets its panel (issue 17 §7: AP is no longer dropped), one line per row each.
        const metrics: string[] = summary.table.metric;
        expect(metrics).toEqual(["AP50", "AP"]);
        expect(await budget.locator(".role-column-header text").allTextContents()).toEqual(metrics);
        const labels = await budget
          .locator(".mark-line path")
          .evaluateAll((ps) => ps.map((p) => p.getAttribute("aria-label") ?? ""));
        const series = new Set(
          labels.map((l) => `${/method\.name: ([^;]+)/.exec(l)?.[1]} ${/metric: ([^;]+)/.exec(l)?.[1]}`),
        );
        expect(series).toEqual(new Set(rows.flatMap((r) => metrics.map((m) => `${r} ${m}`))));
        // One bar per class of the shapes dataset and row at the largest budget.
        const classes = summary.cells.at(-1).perCategory.length;
        expect(await page.locator('figure[data-chart="quickstart-per-class"] .mark-rect path').count()).toBe(
          classes * rows.length,
        );
        expect(
          await page.locator('figure[data-chart="quickstart-loss"] .mark-line path').count(),
        ).toBeGreaterThan(0);
        const table = await page.locator("section table").first().innerText();
        expect(table).toContain("supervised");
        expect(table).toContain("(2)");
      } finally {
        await browser.close();
      }
    },
  );
});
