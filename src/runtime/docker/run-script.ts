/**
 * The exported `run.sh`: builds and runs the environment with plain docker, no devenv needed.
 * Pure text generation from the plan; every value is shell-quoted, so nothing in devenv.yml runs on
 * the host when the script does.
 */
import path from '../../util/node-path.js';
import { shellJoin, shellQuote } from '../../plan/quote.js';
import type { Plan } from '../../plan/types.js';
import { PROXY_VARIABLES } from '../../plan/proxy.js';
import { DEFAULT_PATH, parseEnvValue } from '../../plan/env-refs.js';
import { containerFlags } from './run-args.js';

/** Where things are on the machine that exports; the script refers to them relative to itself. */
export interface ScriptLayout {
  /** Folder the script is written to (`$here` in the script). */
  scriptDir: string;
  /** Folder of devenv.yml, the build context (`$project`). */
  projectDir: string;
  /** The exporting user's home (`$HOME`). */
  homeDir: string;
}

/**
 * Quotes a word for sh, writing the layout's folders as `"$here"`, `"$project"` and `"$HOME"` so the
 * script keeps working from a fresh clone on another machine.
 */
export function quoteWithFolders(word: string, layout: ScriptLayout): string {
  const folders = [
    [layout.scriptDir, '"$here"'],
    [layout.projectDir, '"$project"'],
    [layout.homeDir, '"$HOME"'],
  ]
    .filter(([folder]) => folder !== '/' && folder !== '')
    .sort((a, b) => (b[0]?.length ?? 0) - (a[0]?.length ?? 0)) as [string, string][];
  let out = '';
  let start = 0;
  for (let i = 0; i < word.length; i++) {
    const hit = folders.find(
      ([folder]) =>
        word.startsWith(folder, i) &&
        /^(?:[/,=]|$)/.test(word.slice(i + folder.length, i + folder.length + 1)),
    );
    if (hit === undefined) continue;
    if (i > start) out += shellQuote(word.slice(start, i));
    out += hit[1];
    i += hit[0].length - 1;
    start = i + 1;
  }
  if (start < word.length) out += shellQuote(word.slice(start));
  return out === '' ? "''" : out;
}

/**
 * An `--env` value for sh: literal parts quoted, references to the image's variables read from the
 * built image when the script runs (`image_env NAME`), as devenv resolves them at create time.
 */
function envWord(word: string, layout: ScriptLayout): string {
  const eq = word.indexOf('=');
  if (eq < 0) return quoteWithFolders(word, layout);
  const parts = parseEnvValue(word.slice(eq + 1));
  if (!parts.some((p) => 'ref' in p)) {
    const text = parts.map((p) => ('text' in p ? p.text : '')).join('');
    return quoteWithFolders(`${word.slice(0, eq)}=${text}`, layout);
  }
  return [
    shellQuote(`${word.slice(0, eq)}=`),
    ...parts.map((p) => ('text' in p ? shellQuote(p.text) : `"$(image_env ${p.ref})"`)),
  ].join('');
}

/** The container flags for sh, `--env` values through {@link envWord}. */
function quotedFlags(flags: readonly string[], layout: ScriptLayout): string[] {
  return flags.map((flag, i) =>
    flags[i - 1] === '--env' ? envWord(flag, layout) : quoteWithFolders(flag, layout),
  );
}

function buildCommand(plan: Plan, layout: ScriptLayout): string[] {
  const lines: string[] = [];
  for (const pre of plan.image.prerequisites) {
    if (pre.kind === 'dockerfile') {
      const args = ['docker', 'build', '--network', 'host', '--tag', pre.tag, '--file', pre.dockerfile];
      if (pre.target !== undefined) args.push('--target', pre.target);
      for (const [k, v] of Object.entries(pre.args)) args.push('--build-arg', `${k}=${v}`);
      lines.push(`(cd "$project" && ${shellJoin(args)} $proxy_args ${shellQuote(pre.context)}) >&2`);
    } else if (pre.kind === 'tarball') {
      lines.push(`load_base ${shellQuote(pre.tarball)} ${shellQuote(pre.tag)} >&2`);
    } else {
      lines.push(
        `bootstrap_base ${shellQuote(pre.distribution)} ${shellQuote(pre.suite)} ${shellQuote(pre.mirror ?? '')} ${shellQuote(pre.tag)}`,
      );
    }
  }
  const build = [
    'docker',
    'build',
    '--network',
    'host',
    '--tag',
    plan.image.tag,
    '--file',
    '"$here/Dockerfile"',
  ];
  const quoted = build.map((w) => (w.startsWith('"') ? w : shellQuote(w)));
  for (const [k, v] of Object.entries(plan.image.labels))
    quoted.push('--label', quoteWithFolders(`${k}=${v}`, layout));
  for (const [k, v] of Object.entries(plan.image.buildArgs))
    quoted.push('--build-arg', shellQuote(`${k}=${v}`));
  lines.push(`${quoted.join(' ')} $proxy_args "$project" >&2`);
  return lines;
}

/** The text of run.sh for a plan. */
export function renderRunScript(plan: Plan, layout: ScriptLayout): string {
  const run = plan.run;
  const flags = containerFlags(run, { mode: 'passthrough' });
  const setupX11 =
    run.devices.x11 === undefined
      ? ''
      : `
# X11: a cookie for this environment only (never "xhost +").
mkdir -p ${quoteWithFolders(path.dirname(run.devices.x11.cookieFile), layout)}
: > ${quoteWithFolders(run.devices.x11.cookieFile, layout)}
xauth nlist "$DISPLAY" | sed -e 's/^..../ffff/' | xauth -f ${quoteWithFolders(run.devices.x11.cookieFile, layout)} nmerge -
`;
  const folders = run.mounts.flatMap((m) =>
    m.type === 'bind'
      ? [`[ -e ${quoteWithFolders(m.source, layout)} ] || mkdir -p ${quoteWithFolders(m.source, layout)}`]
      : [],
  );
  return `#!/bin/sh
# Generated by devenv: builds and runs the environment "${run.name}" with plain docker.
#   ./run.sh            build, create or start the container, and attach to its shell
#   ./run.sh CMD...     build, create or start the container, and run CMD in it
#   ./run.sh build      only build the image
# Progress goes to stderr; stdout carries only the command's own output.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here"/${shellQuote(path.relative(layout.scriptDir, layout.projectDir) || '.')} && pwd)
name=${shellQuote(run.name)}
image=${shellQuote(run.image)}

# Proxy variables reach the build as Docker's predefined build arguments, which stay out of the image.
proxy_args=
for v in ${PROXY_VARIABLES.join(' ')}; do
  eval "isset=\\\${$v+x}"
  if [ -n "$isset" ]; then proxy_args="$proxy_args --build-arg $v"; fi
done

image_env() { # NAME: its value in the built image's environment (what $NAME in env: refers to)
  env_list=$(docker image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image")
  # An image without PATH runs with the engine's default one.
  printf '%s\n' "$env_list" | grep -q '^PATH=' || env_list="$env_list
PATH=${DEFAULT_PATH}"
  printf '%s\n' "$env_list" | sed -n "s/^$1=//p" | head -n 1
}

load_base() { # tarball tag: a docker save archive, or a plain root filesystem
  if tar -tf "$project/$1" manifest.json >/dev/null 2>&1; then
    docker tag "$(docker load -q -i "$project/$1" | sed -n 's/^Loaded image[^:]*: //p' | tail -n 1)" "$2"
  else
    docker import "$project/$1" "$2"
  fi
}

bootstrap_base() { # distribution suite mirror tag: mmdebstrap where installed, else debootstrap
  if command -v mmdebstrap >/dev/null 2>&1; then
    rootfs=$(mktemp)
    mmdebstrap --variant=minbase --format=tar "$2" "$rootfs" \${3:+"$3"} && docker import "$rootfs" "$4"
    status=$?
    rm -f "$rootfs"
    return "$status"
  fi
  root=$(mktemp -d)
  debootstrap --variant=minbase "$2" "$root" \${3:+"$3"}
  tar -C "$root" --numeric-owner -c . | docker import - "$4"
  rm -rf "$root"
}

${buildCommand(plan, layout).join('\n')}
[ "\${1-}" = build ] && exit 0
${setupX11}${folders.join('\n')}
created=
if [ -z "$(docker ps -aq --filter "name=^$name\\$")" ]; then
  docker create ${quotedFlags(flags, layout).join(' ')} "$image" >/dev/null
  created=1
fi
if [ "$(docker inspect --format '{{.State.Running}}' "$name")" != true ]; then
  docker start "$name" >/dev/null
${hooks(run.hooks.create, run.shell, '  if [ -n "$created" ]; then', '  fi')}${hooks(run.hooks.start, run.shell, '', '')}fi
if [ $# -eq 0 ]; then
  exec docker attach "$name"
fi
if [ -t 0 ]; then tty=-it; else tty=-i; fi
exec docker exec $tty "$name" "$@"
`;
}

function hooks(commands: readonly string[], shell: string, open: string, close: string): string {
  if (commands.length === 0) return '';
  const lines = commands.map((c) => `  docker exec "$name" ${shellQuote(shell)} -c ${shellQuote(c)}`);
  return [open, ...lines, close].filter((l) => l !== '').join('\n') + '\n';
}
