/**
 * The probe's clock: CLOCK_MONOTONIC in ms (process.hrtime), the same in every thread and process
 * of this machine — performance.now() is not (each worker and process has its own origin). The
 * probe process stamps with it and probeServer() maps the stamps onto the caller's performance.now().
 */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** What to add to a monoMs() stamp to get this thread's performance.now() (exact to ~µs). */
export function monoToPerformanceOffset(): number {
  const before = performance.now();
  const mono = monoMs();
  const after = performance.now();
  return (before + after) / 2 - mono;
}
