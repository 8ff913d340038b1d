import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";

// A real single-node Slurm for the tests (SLURM.md): config in a temp dir
// (SLURM_CONF for daemons and clients), munge + slurmctld + slurmd started
// directly (no systemd), fake GPUs through gres.conf File= symlinks to
// /dev/null, stopped by PID afterwards. PID 1 here may not reap orphans, so a
// zombie counts as dead.

const SBIN = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

function which(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(":"), ...SBIN]) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** Why the Slurm tests cannot run here, or undefined when they can. */
export function slurmMissing(): string | undefined {
  const missing = ["slurmctld", "slurmd", "sbatch", "munged"].filter((n) => !which(n));
  if (missing.length > 0)
    return `Slurm not installed (missing ${missing.join(", ")}); .ci/run installs slurmctld slurmd slurm-client munge`;
  if (process.getuid?.() !== 0) return "the Slurm tests start slurmd, which needs root";
  return undefined;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function listening(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    try {
      for (const line of readFileSync(f, "utf8").split("\n").slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols[1]?.endsWith(hex) && cols[3] === "0A") return true;
      }
    } catch {
      // no such table
    }
  }
  return false;
}

function ok(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): string | undefined {
  try {
    return execFileSync(cmd, args, {
      env,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
      input,
      timeout: 120_000,
    });
  } catch {
    return undefined;
  }
}

/** How long a daemon may take to come up: generous, a loaded 2-core machine is slow, not broken. */
const READY_MS = 5 * 60_000;

async function until(what: string, check: () => boolean, ms: number, diag: () => string): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms)
      throw new Error(`slurm test cluster: ${what} not ready after ${ms} ms\n${diag()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface SlurmCluster {
  dir: string;
  conf: string;
  env: NodeJS.ProcessEnv;
  node: string;
  /** Seconds from the first daemon start to an idle node. */
  startSeconds: number;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  cpus?: number;
  gpus?: number;
  maxArraySize?: number;
}

export async function startSlurm(options: ClusterOptions = {}): Promise<SlurmCluster> {
  if (listening(6817) || listening(6818))
    throw new Error(
      "slurm test cluster: ports 6817/6818 are in use (another Slurm is running); not starting a second",
    );
  const dir = mkdtempSync(join(tmpdir(), "ls-slurm-"));
  for (const d of ["state", "spool", "log", "pids", "fakegpu"]) mkdirSync(join(dir, d));
  const node = hostname().split(".")[0]!;
  const gpus = options.gpus ?? 2;
  for (let i = 0; i < gpus; i++) symlinkSync("/dev/null", join(dir, "fakegpu", `nvidia${i}`));
  const conf = join(dir, "slurm.conf");
  writeFileSync(
    conf,
    `ClusterName=lstest
SlurmctldHost=${node}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=cred_expire=10
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/pids/slurmctld.pid
SlurmdPidFile=${dir}/pids/slurmd.pid
SlurmctldLogFile=${dir}/log/slurmctld.log
SlurmdLogFile=${dir}/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=5
MinJobAge=3600
MaxArraySize=${options.maxArraySize ?? 1001}
InactiveLimit=0
SchedulerParameters=batch_sched_delay=0
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=${dir}/log/jobcomp.txt
${gpus > 0 ? "GresTypes=gpu\n" : ""}NodeName=${node} NodeAddr=127.0.0.1 CPUs=${options.cpus ?? 4} RealMemory=4000${gpus > 0 ? ` Gres=gpu:${gpus}` : ""} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
`,
  );
  writeFileSync(
    join(dir, "gres.conf"),
    gpus > 0
      ? `AutoDetect=off\nNodeName=${node} Name=gpu File=${dir}/fakegpu/nvidia[0-${gpus - 1}]\n`
      : "AutoDetect=off\n",
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const started: ChildProcess[] = [];
  const t0 = Date.now();
  const daemon = (cmd: string, args: string[]) => {
    const child = spawn(cmd, args, {
      env,
      detached: true,
      stdio: ["ignore", "ignore", "ignore"],
    });
    child.unref();
    started.push(child);
    return child;
  };
  const stop = async () => {
    ok("scancel", ["--full", "--user=root"], env);
    for (const c of [...started].reverse()) if (c.pid && alive(c.pid)) process.kill(c.pid, "SIGTERM");
    const t = Date.now();
    while (started.some((c) => c.pid && alive(c.pid)) && Date.now() - t < 15_000)
      await new Promise((r) => setTimeout(r, 100));
    for (const c of started) if (c.pid && alive(c.pid)) process.kill(c.pid, "SIGKILL");
  };
  const log = (name: string) => {
    try {
      return readFileSync(join(dir, "log", name), "utf8")
        .split("\n")
        .slice(-20)
        .join("\n");
    } catch {
      return "";
    }
  };
  try {
    // Reuse a working munged (one started by the system); otherwise start our own.
    const mungeOk = () => {
      const cred = ok("munge", ["-n"], env);
      return cred !== undefined && ok("unmunge", [], env, cred) !== undefined;
    };
    if (!mungeOk()) {
      if (!existsSync("/etc/munge/munge.key")) execFileSync("mungekey", ["--create"], { stdio: "ignore" });
      mkdirSync("/run/munge", { recursive: true });
      execFileSync("chown", ["munge:munge", "/run/munge"]);
      const m = daemon("setpriv", [
        "--reuid=munge",
        "--regid=munge",
        "--init-groups",
        which("munged")!,
        "-F",
      ]);
      await until(
        "munged",
        () => (m.pid !== undefined && alive(m.pid) ? mungeOk() : true),
        READY_MS,
        () => "",
      );
      if (!m.pid || !alive(m.pid)) throw new Error("slurm test cluster: munged exited at start");
    }
    const ctld = daemon(which("slurmctld")!, ["-D", "-f", conf]);
    await until(
      "slurmctld",
      () => /is UP/.test(ok("scontrol", ["ping"], env) ?? "") && alive(ctld.pid!),
      READY_MS,
      () => log("slurmctld.log"),
    );
    daemon(which("slurmd")!, ["-D", "-f", conf, "-N", node]);
    await until(
      "node",
      () => (ok("sinfo", ["-h", "-N", "-n", node, "-o", "%t"], env) ?? "").trim() === "idle",
      READY_MS,
      () => `${log("slurmd.log")}\n${ok("sinfo", ["-R"], env) ?? ""}`,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, conf, env, node, startSeconds: (Date.now() - t0) / 1000, stop };
}
