// TEST HOOK, nothing else: the crash tests (test/crash.test.ts) start the agent as a child process
// with SIMEDGE_TEST_CRASH_AT=<point> and it kills itself with SIGKILL when it reaches that point,
// so a crash lands deterministically between two steps of a deploy or a removal. This function is
// the only place that reads the variable. Points: deploy-persisted, instance-started,
// ready-recorded, remove-persisted, instance-stopped.
export type CrashPoint = 'deploy-persisted' | 'instance-started' | 'ready-recorded' | 'remove-persisted' | 'instance-stopped';

export function crashPoint(point: CrashPoint): void {
  if (process.env.SIMEDGE_TEST_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}
