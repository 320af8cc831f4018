/**
 * The two shell scripts of a sandbox (docs/embedded-runtime.md#sandbox). Both run host binaries
 * only (the host's bash, mount, ip, setpriv, unshare): no binary of the image runs before the user,
 * groups and capabilities are dropped and the root is changed.
 */

/**
 * The holder: runs in a private mount namespace of its own, mounts the overlay root (when given
 * options), prints `ready` and then guards the sandbox. It reads the host pid of the sandbox's first
 * process from stdin; when stdin then ends without `done` (devenv died or gave up), it kills that
 * process, and the kernel kills the rest of its PID namespace. It checks first that the pid is still
 * the first process of a PID namespace (NSpid ends in 1), so a reused pid is never killed.
 * $1: overlay options or empty, $2: the mount point.
 */
export const HOLDER_SCRIPT = `
if [ -n "$1" ]; then mount -c -t overlay overlay -o "$1" "$2" || exit 3; fi
echo ready
read -r init || exit 0
read -r word || word=
[ "$word" = done ] && exit 0
case $init in *[!0-9]*|'') exit 0 ;; esac
grep -q '^NSpid:.*[[:space:]]1$' "/proc/$init/status" 2>/dev/null && kill -KILL "$init"
exit 0
`;

/**
 * The setup: runs as the first process of the sandbox's new PID namespace, still as root with all
 * capabilities and the host's root directory. $1 is a file outside the root for the tools' output
 * (devenv's scratch folder). It reports its host pid on fd 3 and waits for `go` on fd 3 (devenv has
 * then armed the holder), runs the steps of mount-plan.ts (six arguments each, up to `--`), reports
 * `ready` and execs the rest of its arguments with the program's stderr (fd 4) as fd 2 and fd 3 and
 * 4 closed, so the workload sees only stdin, stdout and stderr: descriptors devenv itself inherited
 * without close-on-exec are closed too (an open directory would be a way out of the root), which
 * needs bash (dash cannot name a descriptor above 9). A failed step is reported as `fail<TAB>what`
 * plus the tool's output and exits 125. Until the exec, this process keeps the parent-death signal
 * of `unshare --kill-child`; the identity change in the exec'd chain clears it, which is why the
 * holder is armed first.
 *
 * A step starts one process at most (docs/embedded-runtime.md#sandbox): each tool's output goes to
 * the file and is read only when the tool failed (capturing it with `$(…)` forked a subshell for
 * every step as well); files are created and the hostname written by the shell itself; and a bind
 * with options is one `mount --bind -o` (util-linux mounts it and then applies them).
 */
export const SETUP_SCRIPT = `
fail() { printf 'fail\\t%s\\n%s\\n' "$1" "$2" >&3; exit 125; }
out=$1
shift
run() { what=$1; shift; "$@" > "$out" 2>&1 || fail "$what" "$(< "$out")"; }
create() { : >> "$1"; }
sethostname() { printf %s "$1" > /proc/sys/kernel/hostname; }
read -r self _ < /proc/self/stat
printf 'init\\t%s\\n' "$self" >&3
read -r answer <&3 || exit 125
[ "$answer" = go ] || exit 125
while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
  op=$1 what=$2 a=$3 b=$4 c=$5 d=$6
  shift 6
  case $op in
    mount) run "$what" mount -c -t "$a" -o "$b" "$c" "$d" ;;
    bind)
      if [ "$b" = - ]; then run "$what" mount -c --bind "$c" "$d"
      else run "$what" mount -c --bind -o "$b" "$c" "$d"; fi ;;
    rbind) run "$what" mount -c --rbind "$c" "$d" ;;
    console)
      # By path: a descriptor opened in another mount namespace cannot be a bind source.
      pty=$(readlink /proc/self/fd/0)
      case $pty in /dev/pts/[0-9]*) ;; *) fail "$what" "stdin is $pty, not a pty" ;; esac
      run "$what" create "$d"
      run "$what" mount -c --bind "$pty" "$d" ;;
    file) run "$what" create "$d" ;;
    dir) run "$what" mkdir "$d" ;;
    link) run "$what" ln -s "$c" "$d" ;;
    hostname) run "$what" sethostname "$c" ;;
    lo) run "$what" ip link set lo up ;;
    readonly) run "$what" mount -c -o remount,ro,nosuid,nodev "$d" ;;
    moveroot)
      cd "$d" || fail "$what" "cannot enter $d"
      run "$what" mount -c --move . / ;;
    *) fail "$what" "unknown step $op" ;;
  esac
done
shift
for fd in /proc/"$self"/fd/*; do
  fd=\${fd##*/}
  case $fd in 0|1|2|3|4) ;; *) eval "exec $fd>&-" ;; esac
done
printf 'ready\\n' >&3
exec 2>&4 3>&- 4>&- "$@"
`;
