/**
 * The origin's allocator setting, for whoever launches it (tools/setup/start.ts, the test and bench launchers)
 * and for the origin's own check at start (origin/server.ts). glibc's malloc raises its mmap threshold (up to
 * 32 MiB) each time a large mmapped block is freed; from then on onnxruntime's weight tensors come from the
 * heap, and when a session is released its heap memory stays with the process instead of going back to the
 * system. Measured with onnxruntime-node 1.30 opening transformer-large from its file, then releasing it: RSS
 * stayed 346 MiB (fp32), 418 (fp16) and 149 (int8) above the process before the load; with the setting, 29-33
 * MiB. In the origin, after pinning fp32, fp16 then int8 under a budget holding one of them, RSS was 785 MiB
 * without it and 259 with it (test/origin/memory.e2e.test.ts), so without it RSS outgrows
 * `origin_limits.memory_budget_bytes` as pins come and go although the budget's own accounting holds. A fixed
 * threshold (setting it also turns the adjustment off) returns every block of 128 KiB or more to the system
 * when it is freed, with no cost to a run that could be measured on this 2-core machine (onnxruntime's arena
 * reuses its blocks between runs). onnxruntime's arena is not the cause: without it (`enableCpuMemArena:
 * false`) as much stayed. glibc reads the setting when the process starts, so it is an environment variable of
 * the launch.
 */

/** The environment the origin process should start with. */
export const ORIGIN_ALLOCATOR_ENV = { MALLOC_MMAP_THRESHOLD_: '131072' } as const;

/** Whether this process runs on glibc without the setting, so released sessions' memory would stay in RSS. */
export function allocatorUnset(env: NodeJS.ProcessEnv = process.env): boolean {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return !!header?.glibcVersionRuntime && !Object.keys(ORIGIN_ALLOCATOR_ENV).every((k) => env[k]);
}
