/**
 * The values each input is fed, from `--input-range name=lo,hi` and `--input-values name=v1,v2,...`,
 * checked against the model's inputs before anything runs: a name the model does not have, both options for
 * one input, or fractions for an integer input are refused with one line (exit 2). The domains then reach
 * every place an input is fed: evaluation, calibration and the latency probes (tools/measure/input-domain.ts).
 */
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import { domainProblem, type InputDomain } from '../../measure/input-domain.js';
import { CompressInputError } from '../failure.js';

export interface DomainOptions {
  /** Ranges named for one input (`--input-range name=lo,hi`). */
  inputRanges?: Record<string, [number, number]> | undefined;
  /** The only values of an input (`--input-values name=v1,v2,...`). */
  inputValues?: Record<string, number[]> | undefined;
}

/** Every named input's domain; CompressInputError on a bad option. */
export function inputDomains(inputs: TensorSpec[], o: DomainOptions): Record<string, InputDomain> {
  const out: Record<string, InputDomain> = {};
  const add = (option: string, name: string, domain: InputDomain) => {
    const spec = inputs.find((i) => i.name === name);
    if (!spec) throw new CompressInputError(`${option} ${name}=...: no input named '${name}'; inputs are ${inputs.map((i) => `'${i.name}' ${i.datatype}`).join(', ')}`);
    if (out[name]) throw new CompressInputError(`--input-range and --input-values both name '${name}': give one (a range, or the only values it takes)`);
    const problem = domainProblem(spec, domain);
    if (problem) throw new CompressInputError(`${option} ${name}=...: ${problem}`);
    out[name] = domain;
  };
  for (const [name, range] of Object.entries(o.inputRanges ?? {})) add('--input-range', name, { range });
  for (const [name, values] of Object.entries(o.inputValues ?? {})) add('--input-values', name, { values });
  return out;
}
