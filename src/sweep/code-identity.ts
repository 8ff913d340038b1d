import type { CommandEngineSpec, RunConfig } from "../spec/types.js";
import { canonicalJson, sha256Hex } from "../util/canonical-json.js";
import { labelsweepCode, PACKAGE_VERSION } from "./labelsweep-code.js";
import { type TrainerCodeOptions, trainerCode } from "./trainer-code.js";

// A run's code identity: what can change its result, and nothing else
// (issue 11: a notes.txt, a report.html or a node_modules symlink must not
// re-key finished runs). It is a manifest — labelsweep's version, the files
// that run, the packages they import — and its sha256 enters the run key.
//
//   built-in tfjs engine: labelsweep's own code (labelsweep-code.ts: the
//     training, split and evaluation closure plus the run's method file) and
//     the versions of the TensorFlow.js packages the run's backend can load.
//     Never the user's repository: the user's files cannot change a tfjs run.
//   command engine: the trainer's repository's tracked files and the spec's
//     `engine.code` globs (trainer-code.ts), plus labelsweep's code that
//     prepares its split and reads its metrics.

export interface CodeManifest {
  engine: "tfjs" | "command";
  labelsweep: string;
  /** Path (labelsweep/…, trainer/…, code/…) → content digest. */
  files: Record<string, string>;
  /** npm package → installed version. */
  packages: Record<string, string>;
}

export interface CodeIdentity {
  /** sha256 of the manifest's canonical JSON: what enters the run key. */
  hash: string;
  manifest: CodeManifest;
  /** Where the files came from (trainer repository), for people; not hashed. */
  notes: string[];
}

const NATIVE_BACKENDS = ["@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"];
const WEBGPU = ["webgpu", "@tensorflow/tfjs-backend-webgpu"];

/** Packages a tfjs run may load by name at run time, by engine.backend (backend.ts). */
function backendPackages(backend: string | undefined): string[] {
  const cpu = "@tensorflow/tfjs-backend-cpu";
  if (backend === "tensorflow") return NATIVE_BACKENDS;
  if (backend === "wasm" || backend === "cpu") return [cpu];
  if (backend === "webgpu") return WEBGPU;
  // auto: tfjs-node-gpu → webgpu → tfjs-node → wasm → cpu; which one runs depends on what is installed.
  return [cpu, ...WEBGPU, ...NATIVE_BACKENDS];
}

function identityOf(manifest: CodeManifest, notes: string[]): CodeIdentity {
  return { hash: sha256Hex(canonicalJson(manifest)), manifest, notes };
}

/** What a run's code identity depends on in its config (runs that share it share the identity). */
export function codeRequest(config: Pick<RunConfig, "engine" | "method">): string {
  const engine = config.engine;
  if ("command" in engine) {
    const { command, cwd, code } = engine as CommandEngineSpec;
    return canonicalJson({ command, cwd: cwd ?? null, code: code ?? [] });
  }
  return canonicalJson({ tfjs: engine.backend ?? "auto", method: config.method.name });
}

export type CodeIdentityOptions = TrainerCodeOptions;

/** The code identity of a run config (see the header). */
export async function codeIdentityOf(
  config: Pick<RunConfig, "engine" | "method">,
  options: CodeIdentityOptions,
): Promise<CodeIdentity> {
  const engine = config.engine;
  if ("command" in engine) {
    const trainer = await trainerCode(engine as CommandEngineSpec, options);
    const own = labelsweepCode("command");
    const notes = trainer.repo
      ? [
          `trainer repository ${trainer.repo.root} (${trainer.repo.why}): its tracked files, as in the work tree`,
        ]
      : ["the trainer is in no git repository: only engine.code files count"];
    return identityOf(
      {
        engine: "command",
        labelsweep: PACKAGE_VERSION,
        files: { ...own.files, ...trainer.files },
        packages: own.packages,
      },
      notes,
    );
  }
  const own = labelsweepCode("tfjs", {
    method: config.method.name,
    extraPackages: backendPackages(engine.backend),
  });
  return identityOf(
    { engine: "tfjs", labelsweep: PACKAGE_VERSION, files: own.files, packages: own.packages },
    ["built-in tfjs engine: labelsweep's own files and packages, not the user's repository"],
  );
}

/** Identities of many configs, computed once per distinct request. */
export async function codeIdentities(
  configs: Iterable<Pick<RunConfig, "engine" | "method">>,
  options: CodeIdentityOptions,
): Promise<Map<string, CodeIdentity>> {
  const out = new Map<string, CodeIdentity>();
  for (const config of configs) {
    const request = codeRequest(config);
    if (!out.has(request)) out.set(request, await codeIdentityOf(config, options));
  }
  return out;
}

/** Files whose digest differs between two manifests (added, removed or changed), and changed packages. */
export function manifestDiff(
  before: Pick<CodeManifest, "files" | "packages"> & { labelsweep?: string },
  after: Pick<CodeManifest, "files" | "packages"> & { labelsweep?: string },
): { files: string[]; packages: string[]; version: boolean } {
  const files: string[] = [];
  const same = (a: string | undefined, b: string | undefined) =>
    a !== undefined && b !== undefined && (a.startsWith(b) || b.startsWith(a));
  for (const f of new Set([...Object.keys(before.files), ...Object.keys(after.files)])) {
    if (!same(before.files[f], after.files[f])) files.push(f);
  }
  const packages: string[] = [];
  for (const p of new Set([...Object.keys(before.packages), ...Object.keys(after.packages)])) {
    if (before.packages[p] !== after.packages[p]) packages.push(p);
  }
  return {
    files: files.sort(),
    packages: packages.sort(),
    version: before.labelsweep !== undefined && before.labelsweep !== after.labelsweep,
  };
}
