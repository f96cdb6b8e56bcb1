/**
 * Turns an onnxruntime error into one short line a client may see: the op that refused and why, without
 * node names, source paths, C++ signatures or assertion text (they tell an attacker about the model and
 * the build, and can be megabytes long when a hostile shape is echoed).
 */

const MAX_LENGTH = 200;
/** Only the head of a message is read: the reason comes first, and regexes must not scan a huge echo. */
const MAX_SCAN = 2048;

/** A one-line, cleaned explanation of why the runtime refused an input. */
export function cleanRuntimeMessage(raw: string): string {
  let text = String(raw).slice(0, MAX_SCAN).replace(/\u001b\[[0-9;]*m/g, '');
  const op = /running (\w+) node/.exec(text)?.[1];
  const status = /Status Message:\s*([\s\S]*)$/.exec(text)?.[1];
  if (status !== undefined) text = status;
  text = text
    // Source locations and the C++ function they name: "/onnxruntime_src/.../x.h:583 void ns::f(a, b) ".
    .replace(/\S*\/[\w./-]+\.(?:cc|cpp|h|hpp|c):\d+(?:\s+[\w:<>,*&~ ]+\([^)]*\))?/g, ' ')
    // Internal assertion text ("axis == 1 || axis == largest was false.").
    .replace(/[^.]{0,300}\bwas false\.\s*/g, ' ')
    .replace(/Please fix either the inputs\/outputs or the model\.?/g, ' ')
    .replace(/Name:'[^']*'/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const line = op ? `${op}: ${text || 'failed'}` : text || 'the runtime refused the input';
  return line.length > MAX_LENGTH ? `${line.slice(0, MAX_LENGTH - 1)}…` : line;
}
