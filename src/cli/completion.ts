import { type Command, InvalidArgumentError } from "commander";

// `labelsweep completion bash|zsh|fish`: a shell completion script generated
// from the program's own command and option definitions, so it never falls
// behind the CLI. Commands and subcommands complete by name, options by flag,
// anything else as a file name (specs, results folders).

export const SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = (typeof SHELLS)[number];

interface Entry {
  /** "run", or "data prepare". */
  path: string[];
  description: string;
  options: { flag: string; description: string }[];
  subcommands: string[];
}

function entries(program: Command): Entry[] {
  const out: Entry[] = [];
  const visit = (cmd: Command, path: string[]) => {
    for (const sub of cmd.commands) {
      if ((sub as unknown as { _hidden?: boolean })._hidden) continue;
      const p = [...path, sub.name()];
      out.push({
        path: p,
        description: sub.description(),
        options: sub.options
          .filter((o) => o.long && !o.hidden)
          .map((o) => ({ flag: o.long!, description: o.description })),
        subcommands: sub.commands
          .filter((c) => !(c as unknown as { _hidden?: boolean })._hidden)
          .map((c) => c.name()),
      });
      visit(sub, p);
    }
  };
  visit(program, []);
  return out;
}

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
const short = (s: string) => s.split(/[;:(]/)[0]!.trim().slice(0, 70);

function bash(list: Entry[]): string {
  const top = list.filter((e) => e.path.length === 1).map((e) => e.path[0]);
  const cases = list
    .map((e) => {
      const words = [...e.subcommands, ...e.options.map((o) => o.flag), "--help"].join(" ");
      return `    ${q(e.path.join(" "))}) words=${q(words)} ;;`;
    })
    .join("\n");
  return `# labelsweep completion for bash: source <(labelsweep completion bash)
_labelsweep() {
  local cur=\${COMP_WORDS[COMP_CWORD]} path="" words="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) break ;; esac
    local next="\${path:+$path }\${COMP_WORDS[i]}"
    case "$next" in ${list.map((e) => q(e.path.join(" "))).join("|")}) path=$next ;; *) break ;; esac
  done
  case "$path" in
    "") words=${q([...top, "--help", "--version"].join(" "))} ;;
${cases}
  esac
  if [[ -z "$path" || "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(printf '%s ' $words | tr ' ' '\\n' | grep -v '^-')" -- "$cur") $(compgen -f -- "$cur"))
  fi
}
complete -o filenames -o bashdefault -F _labelsweep labelsweep
`;
}

function zsh(list: Entry[]): string {
  const describe = (es: Entry[]) => es.map((e) => q(`${e.path.at(-1)}:${short(e.description)}`)).join(" ");
  const top = list.filter((e) => e.path.length === 1);
  const cases = list
    .map((e) => {
      const subs = list.filter(
        (s) => s.path.length === e.path.length + 1 && s.path.join(" ").startsWith(`${e.path.join(" ")} `),
      );
      return `    ${q(e.path.join(" "))}) opts=(${e.options.map((o) => q(o.flag)).join(" ")} --help); subs=(${describe(subs)}) ;;`;
    })
    .join("\n");
  return `#compdef labelsweep
# labelsweep completion for zsh: source <(labelsweep completion zsh)
_labelsweep() {
  local path="" i
  local -a opts subs
  for ((i = 2; i < CURRENT; i++)); do
    [[ "$words[i]" == -* ]] && break
    case "\${path:+$path }$words[i]" in
      ${list.map((e) => q(e.path.join(" "))).join("|")}) path="\${path:+$path }$words[i]" ;;
      *) break ;;
    esac
  done
  case "$path" in
    "") subs=(${describe(top)}); opts=(--help --version) ;;
${cases}
  esac
  if [[ "$PREFIX" == -* ]]; then compadd -- $opts
  elif (( \${#subs} )); then _describe command subs
  else _files
  fi
}
compdef _labelsweep labelsweep
`;
}

function fish(list: Entry[]): string {
  const lines = [
    "# labelsweep completion for fish: labelsweep completion fish | source",
    "complete -c labelsweep -f",
  ];
  for (const e of list) {
    const parents = e.path.slice(0, -1);
    const cond =
      parents.length === 0
        ? "__fish_use_subcommand"
        : `__fish_seen_subcommand_from ${parents.at(-1)}; and not __fish_seen_subcommand_from ${list
            .filter((s) => s.path.length === e.path.length && s.path[0] === e.path[0])
            .map((s) => s.path.at(-1))
            .join(" ")}`;
    lines.push(`complete -c labelsweep -n ${q(cond)} -a ${e.path.at(-1)} -d ${q(short(e.description))}`);
    for (const o of e.options) {
      lines.push(
        `complete -c labelsweep -n ${q(`__fish_seen_subcommand_from ${e.path.at(-1)}`)} -l ${o.flag.slice(2)} -d ${q(short(o.description))}`,
      );
    }
    if (e.subcommands.length === 0)
      lines.push(`complete -c labelsweep -n ${q(`__fish_seen_subcommand_from ${e.path.at(-1)}`)} -F`);
  }
  return `${lines.join("\n")}\n`;
}

export function completionScript(program: Command, shell: Shell): string {
  const list = entries(program);
  return shell === "bash" ? bash(list) : shell === "zsh" ? zsh(list) : fish(list);
}

function shellChoice(text: string): Shell {
  if (!(SHELLS as readonly string[]).includes(text))
    throw new InvalidArgumentError(`expected ${SHELLS.join(", ")}`);
  return text as Shell;
}

export function registerCompletion(program: Command): void {
  program
    .command("completion")
    .description("print a shell completion script: source <(labelsweep completion bash)")
    .argument("<shell>", SHELLS.join(" | "), shellChoice)
    .action((shell: Shell) => {
      process.stdout.write(completionScript(program, shell));
    });
}
