/**
 * The last line of defence: a tiny shell process in its own session that holds the read end of
 * a pipe from the supervisor. When the supervisor finishes its own teardown it writes "done"
 * and the reaper leaves. When the supervisor dies without that (SIGKILL, a kill of its process
 * group, a crash in teardown), the pipe closes, and the reaper empties and deletes the
 * namespace and removes the marker. Being in its own session, a signal to the supervisor's
 * process group or terminal does not reach it. If the reaper is killed too, the next start
 * finds the namespace stale (netns.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { markerPath } from './netns.ts';
import { MARKER_DIR } from './plan.ts';

// $1 = namespace, $2 = marker file. Every wait is bounded (one second of grace, then SIGKILL).
const SCRIPT = `
read line
[ "$line" = done ] && exit 0
pids=$(ip netns pids "$1" 2>/dev/null)
if [ -n "$pids" ]; then
  kill -TERM $pids 2>/dev/null
  sleep 1
  kill -KILL $(ip netns pids "$1" 2>/dev/null) 2>/dev/null
fi
ip netns del "$1" 2>/dev/null
ip netns list 2>/dev/null | grep -q "^$1\\( \\|$\\)" || rm -f "$2"
`;

export class Reaper {
  private constructor(private readonly child: ChildProcess) {}

  static spawn(ns: string, markerDir = MARKER_DIR): Reaper {
    const child = spawn('sh', ['-c', SCRIPT, 'handoff-live-reaper', ns, markerPath(ns, markerDir)], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.on('error', () => {});
    child.stdin!.on('error', () => {});
    // Neither the process nor its pipe may keep the supervisor's event loop alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    return new Reaper(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The supervisor cleaned up itself: the reaper leaves without touching anything. */
  dismiss(): void {
    const s = this.child.stdin;
    if (s === null || s.destroyed) return;
    s.end('done\n');
  }
}
