/**
 * Every Kubernetes document the export writes, checked against its schema before it is written and again by
 * the tests from the files: built-in kinds (Deployment, Service, ConfigMap) and KEDA's ScaledObject by
 * kubernetes-models' own validators; KServe's InferenceService and ServingRuntime by @cfworker/json-schema
 * (an interpreting validator: ajv took 10 s to compile the InferenceService's 700 kB schema) against the OpenAPI
 * schemas of KServe's CRDs (schemas/kserve/, copied verbatim). The CRD schemas are read strictly: an object
 * that lists its properties accepts no other (what Kubernetes would silently prune is an error here), unless
 * the schema says x-kubernetes-preserve-unknown-fields. A kind nobody can check is an error too.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validator } from '@cfworker/json-schema';
import { parse } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';

const KSERVE = join(dirname(fileURLToPath(import.meta.url)), '../schemas/kserve');

/** The kinds kubernetes-models checks: apiVersion/kind -> a constructor whose instances validate(). */
const BUILT_IN: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

/** KServe's kinds: apiVersion/kind -> the CRD file that defines them. */
const CRDS: Record<string, string> = {
  'serving.kserve.io/v1beta1/InferenceService': 'serving.kserve.io_inferenceservices.yaml',
  'serving.kserve.io/v1alpha1/ServingRuntime': 'serving.kserve.io_servingruntimes.yaml',
};

type Schema = Record<string, unknown>;

/** Closes every object schema that lists its properties, as Kubernetes' pruning would, recursively. */
export function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'properties' && v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, closeObjects(s)])) : closeObjects(v);
  if (out['properties'] && out['additionalProperties'] === undefined && !out['x-kubernetes-preserve-unknown-fields']) out['additionalProperties'] = false;
  return out;
}

const compiled = new Map<string, Validator>();

function crdValidator(key: string): Validator {
  let v = compiled.get(key);
  if (!v) {
    const [group, version, kind] = [key.split('/')[0], key.split('/')[1], key.split('/')[2]];
    const crd = parse(readFileSync(join(KSERVE, CRDS[key]!), 'utf8')) as { spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } };
    if (crd.spec.group !== group || crd.spec.names.kind !== kind) throw new Error(`${CRDS[key]} does not define ${key}`);
    const served = crd.spec.versions.find((x) => x.name === version);
    if (!served) throw new Error(`${CRDS[key]} has no version ${version}`);
    // Draft 7 reads OpenAPI v3's subset; x-kubernetes-* keywords and Kubernetes' own formats (int32) are ignored.
    // Not short-circuited: every problem is reported.
    v = new Validator(closeObjects(served.schema.openAPIV3Schema) as Schema, '7', false);
    compiled.set(key, v);
  }
  return v;
}

/** Throws, naming the document and every problem, unless `doc` validates against its kind's schema. */
export function validateDocument(doc: unknown, where = 'document'): void {
  const { apiVersion, kind, metadata } = (doc ?? {}) as { apiVersion?: string; kind?: string; metadata?: { name?: string } };
  const key = `${apiVersion}/${kind}`;
  const name = `${where}: ${kind ?? '?'} ${metadata?.name ?? '(unnamed)'}`;
  const Model = BUILT_IN[key];
  if (Model) {
    try {
      new Model(doc as never).validate();
    } catch (e) {
      throw new Error(`${name}: ${(e as Error).message}`, { cause: e });
    }
    return;
  }
  if (!CRDS[key]) throw new Error(`${name}: no schema for ${key}`);
  const result = crdValidator(key).validate(doc);
  if (!result.valid) {
    // The leaves say what is wrong; the properties/anyOf/items entries above them only say where.
    const leaves = result.errors.filter((e) => !['properties', 'anyOf', 'allOf', 'items', 'false'].includes(e.keyword));
    throw new Error(`${name}: ${(leaves.length ? leaves : result.errors).map((e) => `${e.instanceLocation} ${e.error}`).join('; ')}`);
  }
}
