/**
 * `npm run export:proto`: compiles Triton's model_config.proto (copied verbatim from
 * triton-inference-server/common, its BSD license beside it) into a binary FileDescriptorSet with the `buf`
 * binary that the @bufbuild/buf package ships, offline. The descriptor is committed, so nothing compiles
 * protobuf at run or test time (the unit tier starts no process); `schemas/triton/model_config.binpb.json`
 * records the sha256 of the .proto it was built from, and test/export/triton-schema.unit.test.ts fails when
 * the two drift. Run this after replacing the .proto with a newer copy.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from '../../lib/sha256.js';

const HERE = join(dirname(fileURLToPath(import.meta.url)), 'triton');
export const PROTO = join(HERE, 'model_config.proto');
export const DESCRIPTOR = join(HERE, 'model_config.binpb');
export const STAMP = join(HERE, 'model_config.binpb.json');

if (import.meta.url === `file://${process.argv[1]}`) {
  const require = createRequire(import.meta.url);
  const buf = join(dirname(require.resolve('@bufbuild/buf/package.json')), 'bin', 'buf');
  const version = execFileSync(buf, ['--version'], { encoding: 'utf8' }).trim();
  // The folder holds one .proto and no buf.yaml: buf compiles it as a module of its own, imports resolved inside it.
  execFileSync(buf, ['build', HERE, '--output', DESCRIPTOR], { stdio: 'inherit' });
  const stamp = { source: 'model_config.proto', source_sha256: sha256(readFileSync(PROTO)), compiler: `buf ${version}` };
  writeFileSync(STAMP, JSON.stringify(stamp, null, 1) + '\n');
  console.log(`${DESCRIPTOR}: ${readFileSync(DESCRIPTOR).length} bytes from ${stamp.source} (${stamp.source_sha256.slice(0, 12)}), ${stamp.compiler}`);
}
