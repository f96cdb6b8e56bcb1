/**
 * How a compression failure reaches the user: one line, whole, saying which step failed. A failure inside
 * a step (onnxruntime refusing a run, a child process dying) is wrapped in a `CompressStepError` naming the
 * step; the CLI prints `oneLine` of it and exits 1. Problems with the user's input are `CompressInputError`s
 * (thrown while reading the model and the samples) and pass through unwrapped (exit 2).
 */

/** A problem with the user's input files: the CLI prints the message and exits 2, writing nothing. */
export class CompressInputError extends Error {
  override readonly name = 'CompressInputError';
}

/** A failure inside a named pipeline step; `cause` is the original error. */
export class CompressStepError extends Error {
  override readonly name = 'CompressStepError';
  constructor(readonly step: string, cause: unknown) {
    super(`${step}: ${oneLine(cause)}`, { cause });
  }
}

/**
 * The most useful single line of an error: its message with stack frames dropped and the remaining lines
 * joined. A child process's stderr tail is searched for its error line. Never cut short: a message ends
 * where its text ends, not in the middle of a name.
 */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^at .+(\(.*\)|:\d+:\d+)$/.test(l) && l !== '^' && !/^Node\.js v\d/.test(l));
  if (lines.length <= 1) return lines[0] ?? (err instanceof Error ? err.name : 'unknown error');
  // A wrapper line ending in ':' (e.g. "probe failed (exit 1):") is followed by the child's output: keep its
  // error line, not the source excerpt or the last frame.
  if (lines[0]!.endsWith(':')) {
    const rest = lines.slice(1);
    const error = rest.find((l) => /^(\w*Error|error)\b|ERROR_MESSAGE|\bfailed\b/.test(l)) ?? rest[rest.length - 1]!;
    return `${lines[0]} ${error}`;
  }
  return lines.join(' ');
}

/** Runs one pipeline step; any failure other than bad input becomes a CompressStepError naming the step. */
export async function during<T>(step: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CompressInputError || err instanceof CompressStepError) throw err;
    throw new CompressStepError(step, err);
  }
}
