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
 * capabilities and the host's root directory. $1 and $2 are files outside the root, in devenv's
 * scratch folder: the tools' output and the fstab of a batch of mounts. It reports its host pid on
 * fd 3 and waits for `go` on fd 3 (devenv has then armed the holder), runs the steps of
 * mount-plan.ts (six arguments each, up to `--`), reports `ready` and execs the rest of its
 * arguments with the program's stderr (fd 4) as fd 2 and fd 3 and 4 closed, so the workload sees
 * only stdin, stdout and stderr: descriptors devenv itself inherited without close-on-exec are
 * closed too (an open directory would be a way out of the root), which needs bash (dash cannot name
 * a descriptor above 9). A failed step is reported as `fail<TAB>what` plus the tool's output and
 * exits 125. Until the exec, this process keeps the parent-death signal
 * of `unshare --kill-child`; the identity change in the exec'd chain clears it, which is why the
 * holder is armed first.
 *
 * The steps start as few processes as they can (docs/embedded-runtime.md#sandbox), each a few ms on
 * a VM: consecutive mounts and binds become one `mount -a` of an fstab in the scratch folder ($2),
 * consecutive folders one `mkdir`; files are created and the hostname written by the shell itself;
 * each tool's output goes to a file there ($1), read only when the tool failed. `mount -a` passes
 * over an entry it takes for mounted already without a word, so each batch counts the mounts it
 * made under the root (only there: the host's removal of a folder unmounts this namespace's copy of
 * what was mounted on it, at any time); the root's bind onto itself (a mount point already, on an overlay root) is a `mount` of its
 * own, and so is every remount.
 */
export const SETUP_SCRIPT = `
fail() { printf 'fail\\t%s\\n%s\\n' "$1" "$2" >&3; exit 125; }
out=$1 fstab=$2
shift 2
run() { what=$1; shift; "$@" > "$out" 2>&1 || fail "$what" "$(< "$out")"; }
create() { : >> "$1"; }
sethostname() { printf %s "$1" > /proc/sys/kernel/hostname; }
# An fstab field, with the characters that would end it escaped as mount(8) reads them.
field() {
  REPLY=\${1//\\\\/\\\\134}
  REPLY=\${REPLY// /\\\\040}
  REPLY=\${REPLY//$'\\t'/\\\\011}
  REPLY=\${REPLY//$'\\n'/\\\\012}
}
entry() {
  local line
  field "$1"; line=$REPLY
  field "$2"; line="$line $REPLY"
  field "$3"; line="$line $REPLY"
  field "$4"; REPLY="$line $REPLY 0 0"
}
# The mounts at or under the root, counted in /proc/self/mountinfo (whose paths are escaped as an
# fstab's are): a mount elsewhere in this namespace, copied from the host's, goes away when the host
# removes its folder, and must not count against the run of mounts under way. The file is read in
# one pass (mapfile): \`read\` seeks back after each line, and a seek makes the kernel regenerate the
# text up to that byte offset, which a mount dropped meanwhile has shifted.
mounts() {
  local n=0 line mp lines
  mapfile -t lines < /proc/self/mountinfo
  for line in "\${lines[@]}"; do
    mp=\${line#* * * * } mp=\${mp%% *}
    case $mp in "$rootmp" | "$rootmp"/*) n=$((n + 1)) ;; esac
  done
  REPLY=$n
}
rootmp= pending= whats=() targets=()
: > "$fstab"
queue() {
  [ "$pending" = "$1" ] || flush
  pending=$1 whats+=("$2") targets+=("$3")
  [ -z "$4" ] || printf '%s\\n' "$4" >> "$fstab"
}
failed() {
  local message i what=\${whats[0]}
  message=$(< "$out")
  for i in "\${!targets[@]}"; do
    case $message in *"\${targets[$i]}"[:\\']*) what=\${whats[$i]}; break ;; esac
  done
  fail "$what" "$message"
}
flush() {
  case $pending in
    dirs) mkdir -- "\${targets[@]}" > "$out" 2>&1 || failed ;;
    mounts)
      mounts; before=$REPLY
      mount -a -c -T "$fstab" > "$out" 2>&1 || failed
      mounts
      # mount -a passes over an entry it takes for mounted already, and says nothing.
      [ $((REPLY - before)) -ge "\${#whats[@]}" ] ||
        fail "\${whats[0]}" "mount -a made $((REPLY - before)) of \${#whats[@]} mounts"
      : > "$fstab" ;;
  esac
  pending= whats=() targets=()
}
read -r self _ < /proc/self/stat
printf 'init\\t%s\\n' "$self" >&3
read -r answer <&3 || exit 125
[ "$answer" = go ] || exit 125
while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
  op=$1 what=$2 a=$3 b=$4 c=$5 d=$6
  shift 6
  case $op in
    mount) entry "$c" "$d" "$a" "$b"; queue mounts "$what" "$d" "$REPLY" ;;
    bind)
      if [ "$b" = - ]; then entry "$c" "$d" none bind; else entry "$c" "$d" none "bind,$b"; fi
      queue mounts "$what" "$d" "$REPLY" ;;
    rbind) entry "$c" "$d" none rbind; queue mounts "$what" "$d" "$REPLY" ;;
    dir) queue dirs "$what" "$d" ;;
    *)
      flush
      case $op in
        rootbind)
          field "$d"; rootmp=$REPLY
          run "$what" mount -c --bind "$c" "$d" ;;
        console)
          # By path: a descriptor opened in another mount namespace cannot be a bind source.
          pty=$(readlink /proc/self/fd/0)
          case $pty in /dev/pts/[0-9]*) ;; *) fail "$what" "stdin is $pty, not a pty" ;; esac
          run "$what" mount -c --bind "$pty" "$d" ;;
        file) run "$what" create "$d" ;;
        link) run "$what" ln -s "$c" "$d" ;;
        hostname) run "$what" sethostname "$c" ;;
        lo) run "$what" ip link set lo up ;;
        readonly) run "$what" mount -c -o remount,ro,nosuid,nodev "$d" ;;
        moveroot)
          cd "$d" || fail "$what" "cannot enter $d"
          run "$what" mount -c --move . / ;;
        *) fail "$what" "unknown step $op" ;;
      esac ;;
  esac
done
flush
shift
for fd in /proc/"$self"/fd/*; do
  fd=\${fd##*/}
  case $fd in 0|1|2|3|4) ;; *) eval "exec $fd>&-" ;; esac
done
printf 'ready\\n' >&3
exec 2>&4 3>&- 4>&- "$@"
`;
