/**
 * The Worker's CPU profile, recorded through workerd's DevTools inspector (`wrangler dev --inspector-port`)
 * while a load runs: V8's sampling profiler sees every function of the isolate, so the cost of each stage of
 * a request (middleware, validation, decode, run, encode, log...) comes out of the same requests that are
 * served, at sub-millisecond resolution, without timing code in the gateway.
 */
import WebSocket from 'ws';

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The first Worker target the inspector lists (wrangler's proxy lists the user Worker). */
async function targetUrl(port: number): Promise<string> {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl?: string }[];
  const url = list.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
  if (!url) throw new Error(`the inspector on port ${port} lists no Worker`);
  return url;
}

/** Records the isolate's CPU profile while `during` runs (sampling every `intervalUs` µs). */
export async function recordProfile<T>(inspectorPort: number, during: () => Promise<T>, intervalUs = 100): Promise<{ profile: CpuProfile; result: T }> {
  const ws = new WebSocket(await targetUrl(inspectorPort));
  await new Promise<void>((ok, fail) => {
    ws.once('open', () => ok());
    ws.once('error', fail);
  });
  let id = 0;
  const pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    const p = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id!);
    if (msg.error) p.fail(new Error(msg.error.message));
    else p.ok(msg.result);
  });
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((ok, fail) => {
      pending.set(++id, { ok, fail });
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await send('Profiler.enable');
    await send('Profiler.setSamplingInterval', { interval: intervalUs });
    await send('Profiler.start');
    const result = await during();
    const { profile } = (await send('Profiler.stop')) as { profile: CpuProfile };
    return { profile, result };
  } finally {
    ws.close();
  }
}

/** A stage of a request: the innermost frame on a sample's stack whose function matches names it. */
export interface StageRule {
  stage: string;
  functions: RegExp;
}

export interface Attribution {
  /** µs of CPU per stage, over the whole recording. */
  stages: Record<string, number>;
  /** Self time of the hottest functions not under any stage (what to name next). */
  unattributed_top: { fn: string; us: number }[];
  sampled_us: number;
  idle_us: number;
}

/**
 * Splits the recorded CPU time into stages: each sample goes to the innermost frame of its stack that a rule
 * names (so `decode` inside `infer` counts as decode), else to "other"; `(idle)` and `(program)` samples are
 * workerd waiting or outside JavaScript, reported apart.
 */
export function attribute(profile: CpuProfile, rules: StageRule[]): Attribution {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOf = new Map<number, string>();
  const resolveStage = (nodeId: number): string => {
    const known = stageOf.get(nodeId);
    if (known) return known;
    const name = byId.get(nodeId)!.callFrame.functionName;
    let stage: string;
    if (name === '(idle)') stage = '(idle)';
    else if (name === '(garbage collector)') stage = 'garbage collection';
    else {
      const rule = rules.find((r) => r.functions.test(name));
      const up = parent.get(nodeId);
      stage = rule ? rule.stage : up === undefined ? 'other' : resolveStage(up);
    }
    stageOf.set(nodeId, stage);
    return stage;
  };
  const stages: Record<string, number> = {};
  const selfOther = new Map<string, number>();
  let sampled = 0;
  profile.samples.forEach((nodeId, i) => {
    const dt = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    const stage = resolveStage(nodeId);
    stages[stage] = (stages[stage] ?? 0) + dt;
    sampled += dt;
    if (stage === 'other') {
      const f = byId.get(nodeId)!.callFrame;
      const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}`;
      selfOther.set(key, (selfOther.get(key) ?? 0) + dt);
    }
  });
  const idle = stages['(idle)'] ?? 0;
  delete stages['(idle)'];
  const unattributed_top = [...selfOther].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([fn, us]) => ({ fn, us: Math.round(us) }));
  return { stages, unattributed_top, sampled_us: sampled, idle_us: idle };
}
