import { describe, expect, it } from "vitest";
import { aggregate, type RunOutcome } from "../../src/results/aggregate.js";
import { compareToBaseline } from "../../src/results/baseline.js";
import { renderCsv, renderLatex, renderMarkdown } from "../../src/results/render-table.js";
import { renderReportHtml } from "../../src/results/report-html.js";
import { buildSummary } from "../../src/results/summary.js";
import type { RunConfig, TableSpec } from "../../src/spec/types.js";

// table.baseline: Δ to the baseline cell and Welch's t-test. Expected values
// from SciPy 1.17.1 (Debian python3-scipy), run outside the repository:
//   python3 -c "import scipy.stats as st; r = st.ttest_ind(b, a, equal_var=False); print(r.statistic, r.pvalue, r.df)"
//   a = [0.50, 0.52, 0.49], b = [0.55, 0.57, 0.56] → t 5.3758720222862575, p 0.008731029231592613, df 3.4482758620689546
//   a = [0.60, 0.62, 0.61], b = [0.61, 0.60, 0.63] → t 0.31622776601683444, p 0.7700256383911789, df 3.4482758620689653
//   a = [0.30, 0.34],       b = [0.25, 0.27, 0.26] → t −2.8823067684915653, p 0.1825301568066371, df 1.1695501730103806

function run(arch: string, method: string, fraction: number, seed: number, ap: number): RunOutcome {
  const config = {
    dataset: { name: "shapes" },
    labels: { protocol: "budget", fraction, fold: 1 },
    detector: { arch },
    method: { name: method },
    train: {},
    engine: { name: "tfjs" },
    eval: { type: "coco" },
    seed,
  } as RunConfig;
  return { key: `${arch}-${method}-${fraction}-${seed}`, config, status: "done", metrics: { AP: ap } };
}

const series = (arch: string, method: string, fraction: number, aps: number[]) =>
  aps.map((ap, seed) => run(arch, method, fraction, seed, ap));

const runs = [
  ...series("ssd-lite", "supervised", 0.1, [0.5, 0.52, 0.49]),
  ...series("ssd-lite", "supervised", 0.3, [0.6, 0.62, 0.61]),
  ...series("ssd-lite", "csd", 0.1, [0.55, 0.57, 0.56]),
  ...series("ssd-lite", "csd", 0.3, [0.61, 0.6, 0.63]),
  ...series("retinanet-lite", "supervised", 0.1, [0.3, 0.34]),
  ...series("retinanet-lite", "supervised", 0.3, [0.4]),
  ...series("retinanet-lite", "sed", 0.1, [0.25, 0.27, 0.26]),
  ...series("retinanet-lite", "sed", 0.3, [0.45, 0.47]),
];

const table: TableSpec = {
  rows: ["detector.arch", "method.name"],
  columns: ["labels.fraction"],
  metric: "AP",
  precision: 1,
  scale: 100,
  baseline: { "method.name": "supervised" },
};

describe("table.baseline", () => {
  const agg = aggregate(table, runs);

  it("pairs each cell with the baseline of its own group and column: Δ and Welch's p as SciPy", () => {
    const cmp = compareToBaseline(agg, table)!;
    // rows: ssd/supervised, ssd/csd, retina/supervised, retina/sed
    expect(cmp[0]![0]!.AP!.status).toBe("baseline");
    const csd01 = cmp[1]![0]!.AP!;
    expect(csd01.status).toBe("beyond-noise");
    expect(csd01.delta).toBeCloseTo(0.56 - 0.5033333333333333, 12);
    expect(csd01.t).toBeCloseTo(5.3758720222862575, 10);
    expect(csd01.p).toBeCloseTo(0.008731029231592613, 10);
    expect(csd01.df).toBeCloseTo(3.4482758620689546, 10);
    const csd03 = cmp[1]![1]!.AP!;
    expect(csd03.status).toBe("within-noise");
    expect(csd03.p).toBeCloseTo(0.7700256383911789, 10);
    // SED is compared with retinanet-lite's supervised cell, not ssd-lite's.
    const sed01 = cmp[3]![0]!.AP!;
    expect(sed01.status).toBe("within-noise");
    expect(sed01.t).toBeCloseTo(-2.8823067684915653, 10);
    expect(sed01.p).toBeCloseTo(0.1825301568066371, 10);
    expect(sed01.df).toBeCloseTo(1.1695501730103806, 10);
    // One supervised run at 0.3 on retinanet-lite: no test, but the Δ of the means.
    expect(cmp[3]![1]!.AP!).toMatchObject({ status: "n-too-small", p: null, n: 2, baselineN: 1 });
    expect(cmp[3]![1]!.AP!.delta).toBeCloseTo(0.06, 12);
  });

  it("prints Δ, p and the beyond-noise mark in Markdown, LaTeX, CSV, JSON and HTML", () => {
    const md = renderMarkdown(agg, table);
    expect(md).toContain(
      "| ssd-lite · csd | **56.0 ± 1.0 (3)**, Δ +5.7 (p = 0.0087) ▲ | **61.3 ± 1.5 (3)**, Δ +0.3 (p = 0.77) |",
    );
    expect(md).toContain(
      "| retinanet-lite · sed | 26.0 ± 1.0 (3), Δ −6.0 (p = 0.18) | 46.0 ± 1.4 (2), Δ +6.0 (n too small) |",
    );
    expect(md).toContain("| ssd-lite · supervised | 50.3 ± 1.5 (3) | 61.0 ± 1.0 (3) |");
    expect(md).toContain(
      "Δ: difference to the baseline cell (method.name = supervised, other row and column values the same); p: two-sided Welch's t-test",
    );
    expect(md).not.toMatch(/n too small\) \(p/);
    const tex = renderLatex(agg, table);
    expect(tex).toContain("$\\Delta$ +5.7 (p = 0.0087) $\\blacktriangle$");
    expect(tex).toContain("$\\Delta$ $-$6.0 (p = 0.18)");
    const csv = renderCsv(agg, table).trim().split("\n");
    expect(csv[0]).toBe(
      "detector.arch,method.name,labels.fraction,metric,mean,std,ci95,n,expected,failed,delta,p,baseline_n,vs_baseline",
    );
    expect(csv.find((l) => l.startsWith("ssd-lite,csd,0.1,"))).toMatch(
      /,0\.0566\d*,0\.00873\d*,3,beyond-noise$/,
    );
    expect(csv.find((l) => l.startsWith("retinanet-lite,sed,0.3,"))).toMatch(
      /,0\.0(6|599)\d*,,1,n-too-small$/,
    );
    expect(csv.find((l) => l.startsWith("ssd-lite,supervised,0.1,"))).toMatch(/,,,3,baseline$/);

    const { summary } = buildSummary(
      {
        resultsDir: "/nonexistent",
        experiment: "x",
        table,
        runs: runs.map(({ key, config }) => ({ key, config })),
      },
      runs,
      () => ({ split: null }) as never,
    );
    const cell = summary.cells.find(
      (c) => c.row["method.name"] === "csd" && c.column["labels.fraction"] === 0.1,
    )!;
    expect(cell.vsBaseline!.AP).toMatchObject({ status: "beyond-noise", n: 3, baselineN: 3 });
    expect(cell.vsBaseline!.AP!.p).toBeCloseTo(0.008731029231592613, 10);
    const html = renderReportHtml([{ summary, charts: [] }]);
    expect(html).toContain('<span class="delta better">Δ +5.7 (p = 0.0087) ▲</span>');
    expect(html).toContain("Δ +6.0 (n too small)");
    expect(html).toContain("two-sided Welch&#39;s t-test".replace("&#39;", "'"));
  });

  it("marks a significant loss ▼, and with best: min a lower value ▲", () => {
    const worse = [
      ...series("ssd-lite", "supervised", 0.1, [0.5, 0.51, 0.52]),
      ...series("ssd-lite", "csd", 0.1, [0.4, 0.41, 0.42]),
    ];
    const t: TableSpec = { ...table, rows: ["method.name"] };
    expect(renderMarkdown(aggregate(t, worse), t)).toMatch(/Δ −10\.0 \(p < 0\.001\) ▼/);
    expect(renderMarkdown(aggregate({ ...t, best: "min" }, worse), { ...t, best: "min" })).toMatch(
      /Δ −10\.0 \(p < 0\.001\) ▲/,
    );
    // Without a baseline nothing changes.
    const plain = { ...t, baseline: undefined };
    expect(compareToBaseline(aggregate(plain, worse), plain)).toBeNull();
    expect(renderMarkdown(aggregate(plain, worse), plain)).not.toContain("Δ");
  });
});
