import type { Command } from "commander";
import type { DoctorChoice, EngineDoctorReport } from "../engine/index.js";
import { BACKEND_CHOICES, type BackendChoice } from "../spec/types.js";
import { EXIT, UserError } from "../util/errors.js";

interface DoctorOptions {
  backend?: string;
  gpus?: string;
  json?: boolean;
}

function choiceLines(c: DoctorChoice): string[] {
  const head = c.asked === "auto" ? "auto would choose" : `--backend ${c.asked}`;
  if (!c.selection) return [`${head}: cannot start`, ...c.error!.split("\n").map((l) => `  ${l}`)];
  const s = c.selection;
  const lines = [`${head}: ${s.name} — ${s.reason}`];
  if (s.adapter)
    lines.push(
      `  adapter: ${s.adapter.description} [${s.adapter.vendor}, ${s.adapter.architecture}] — ${s.adapter.pinned}`,
    );
  for (const k of s.skipped) lines.push(`  not ${k.name}: ${k.why}`);
  for (const w of s.warnings) lines.push(`  warning: ${w}`);
  return lines;
}

function format(r: EngineDoctorReport, gpus: { index: number; name: string; pciBusId?: string }[]): string {
  const v = r.vulkan;
  const out = [
    `node ${r.node} on ${r.platform}${r.glibc ? `, glibc ${r.glibc}` : ""}`,
    "optional packages:",
    ...r.packages.map((p) => `  ${p.name.padEnd(34)} ${p.version ?? "not installed"}`),
    "vulkan:",
    `  loader (libvulkan.so.1)            ${v.loader ?? "not found (Debian/Ubuntu: libvulkan1)"}`,
    `  drivers (ICD manifests)            ${v.drivers.length ? v.drivers.map((d) => d.library).join(", ") : `none in ${v.driverDirs.join(", ")}`}`,
    `  GPU device nodes                   ${v.deviceNodes.length ? v.deviceNodes.join(", ") : "none (/dev/dri/renderD*, /dev/nvidia0…, /dev/dxg)"}`,
    `  Mesa device-select layer           ${v.deviceSelectLayer ?? "not installed (pins identical GPUs by PCI address; package mesa-vulkan-drivers)"}`,
    "adapters (Dawn, Vulkan backend):",
  ];
  if (r.adapters === null) out.push(`  Dawn did not load: ${r.dawnError}`);
  else if (r.adapters.length === 0) out.push("  none");
  for (const a of r.adapters ?? []) {
    const d = a.adapter;
    const what = d
      ? `${d.description} [${d.vendor}, ${d.architecture}]${d.software ? " — software (CPU), never chosen by auto" : ""}`
      : "";
    out.push(`  ${a.count > 1 ? `${a.count} × ` : ""}${a.name}${what ? `: ${what}` : ""}`);
  }
  out.push(
    `GPUs (nvidia-smi): ${gpus.length ? gpus.map((g) => `${g.index} ${g.name}${g.pciBusId ? ` (${g.pciBusId})` : ""}`).join("; ") : "none"}`,
  );
  if (r.pin) {
    out.push(`GPU slot: ${r.pin.detail}`);
    for (const w of r.pin.warnings) out.push(`  warning: ${w}`);
  }
  for (const c of r.choices) out.push(...choiceLines(c));
  return `${out.join("\n")}\n`;
}

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description(
      "show what the built-in engine can train on here: backends, Vulkan drivers, GPU adapters, and what auto chooses",
    )
    .option(
      "--backend <name>",
      `also try this backend: ${BACKEND_CHOICES.join(", ")} (exit 2 if it cannot start)`,
    )
    .option(
      "--gpus <ids>",
      "show the adapter a run in this GPU slot would use (an nvidia-smi index, as the runner's --gpus)",
    )
    .option("--json", "print the report as JSON")
    .action(async (opts: DoctorOptions) => {
      if (opts.backend && !BACKEND_CHOICES.includes(opts.backend as BackendChoice)) {
        throw new UserError(`--backend ${opts.backend}: expected one of ${BACKEND_CHOICES.join(", ")}`);
      }
      // Loaded here, not at startup: the engine brings TensorFlow.js.
      const [{ engineDoctor }, { discoverGpus, slotGpu }] = await Promise.all([
        import("../engine/index.js"),
        import("../exec/gpus.js"),
      ]);
      const gpus = await discoverGpus();
      const gpu = opts.gpus ? slotGpu(opts.gpus, gpus) : undefined;
      if (opts.gpus && !gpu) {
        throw new UserError(
          `--gpus ${opts.gpus}: nvidia-smi lists ${gpus.length ? gpus.map((g) => g.index).join(", ") : "no GPUs"}`,
        );
      }
      const report = await engineDoctor({
        ...(opts.backend ? { backend: opts.backend as BackendChoice } : {}),
        ...(gpu ? { gpu } : {}),
      });
      process.stdout.write(
        opts.json ? `${JSON.stringify({ ...report, gpus }, null, 2)}\n` : format(report, gpus),
      );
      if (report.choices.some((c) => c.error)) process.exitCode = EXIT.usage;
    });
}
