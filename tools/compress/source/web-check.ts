/**
 * Whether onnxruntime-web, the runtime that serves edge variants, can load the source model: asked of
 * onnxruntime-web itself (web-load.ts, in a child process) before any work, so a model with an operator it
 * has no kernel for is refused up front with the op, its domain and its node named, instead of failing
 * after compression while the variants are measured.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { allNodes } from '../../onnx/scopes.js';
import type { ModelProto } from '../../onnx/types.js';
import { CompressInputError, oneLine } from '../failure.js';

const WEB_LOAD = fileURLToPath(new URL('./web-load.ts', import.meta.url));

// The three ways onnxruntime 1.30 says it has no kernel for a node.
const NO_KERNEL = /Could not find an implementation for (\w+)\((\d+)\) node with name '([^']*)'/;
const NOT_REGISTERED = /([\w.]+):(\w+)\(-?\d+\) is not a registered function\/op/;
const NO_OP = /No Op registered for (\w+) with domain_version of (\d+)/;

/** Throws CompressInputError when onnxruntime-web cannot load the model at `path` (`model` is it, decoded). */
export function checkLoadsInWeb(path: string, model: ModelProto): void {
  const child = spawnSync(process.execPath, ['--import', 'tsx', WEB_LOAD, path], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (child.status === 0) return;
  const last = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 3 || !last.startsWith('{')) throw new Error(`the onnxruntime-web load check did not finish (exit ${child.status}): ${oneLine(child.stderr)}`);
  throw new CompressInputError(`${path}: ${explainLoadError((JSON.parse(last) as { error: string }).error, model)}`);
}

/** onnxruntime-web's load error as one line naming the op, its domain and its node when it is a missing kernel. */
export function explainLoadError(message: string, model: ModelProto): string {
  const text = oneLine(message);
  const kernel = NO_KERNEL.exec(text);
  const registered = NOT_REGISTERED.exec(text);
  const missing = NO_OP.exec(text);
  const op = kernel?.[1] ?? registered?.[2] ?? missing?.[1];
  if (!op) return `onnxruntime-web cannot load this model: ${text}`;
  const node = allNodes(model.graph).find((n) => n.op_type === op && (!kernel || n.name === kernel[3])) ?? allNodes(model.graph).find((n) => n.op_type === op);
  const domain = registered?.[1] ?? (node?.domain || 'ai.onnx');
  return `onnxruntime-web cannot run op ${op} (domain ${domain})${node?.name ? ` at node '${node.name}'` : ''}: ${text}`;
}
