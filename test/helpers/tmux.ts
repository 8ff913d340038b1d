import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

// A command in a real terminal (a detached tmux session), for what only shows
// on a TTY: progress bars, the sweep's ETA. Waits are for screen content with
// a generous deadline, never for a time.

export const haveTmux = ["/usr/bin/tmux", "/bin/tmux", "/usr/local/bin/tmux"].some((p) => existsSync(p));

export interface TmuxSession {
  /** The screen and its scroll-back, as text. */
  screen(): string;
  /** Resolves with the screen once `test` holds (polling), rejects after `deadlineMs`. */
  waitFor(test: (screen: string) => boolean, deadlineMs?: number): Promise<string>;
  kill(): void;
}

export function startTmux(
  name: string,
  argv: string[],
  opts: { cwd: string; width?: number; height?: number },
): TmuxSession {
  const quoted = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  execFileSync("tmux", [
    "new-session",
    "-d",
    "-s",
    name,
    "-x",
    String(opts.width ?? 160),
    "-y",
    String(opts.height ?? 50),
    "-c",
    opts.cwd,
    // A user's terminal, not CI's: CI=... turns the progress display off on
    // purpose, so it must not leak from the test's environment. Keep the pane
    // after the command ends, and say how it ended.
    `unset CI; ${quoted}; echo "EXITED $?"; sleep 3600`,
  ]);
  const screen = () =>
    execFileSync("tmux", ["capture-pane", "-p", "-J", "-S", "-", "-t", name], { encoding: "utf8" });
  return {
    screen,
    async waitFor(test, deadlineMs = 240_000) {
      const end = Date.now() + deadlineMs;
      for (;;) {
        const text = screen();
        if (test(text)) return text;
        if (Date.now() > end) throw new Error(`tmux ${name}: condition not met; screen:\n${text}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    kill() {
      try {
        execFileSync("tmux", ["kill-session", "-t", name]);
      } catch {
        // already gone
      }
    },
  };
}
