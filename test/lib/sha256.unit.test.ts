/** The two SHA-256 helpers (Web Crypto for the core, node:crypto for the tools) give the same hex. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/lib/sha256.js';
import { fileSha256, sha256 } from '../../tools/lib/sha256.js';

// FIPS 180-2 test vector.
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('sha256', () => {
  it('hashes text as UTF-8 and bytes alike, as lowercase hex', async () => {
    expect(await sha256Hex('abc')).toBe(ABC);
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(ABC);
    expect(sha256(new TextEncoder().encode('abc'))).toBe(ABC);
  });

  it('agrees between the core and the tools on a view into a larger buffer', async () => {
    const whole = new Uint8Array(1000).map((_, i) => i % 251);
    const view = whole.subarray(10, 900);
    expect(await sha256Hex(view)).toBe(sha256(view));
  });

  it('hashes a file streamed in chunks like its bytes in memory', async () => {
    const bytes = new Uint8Array(5 * 1024 * 1024 + 3).map((_, i) => (i * 7) % 256);
    const file = join(mkdtempSync(join(tmpdir(), 'sha256-')), 'blob.bin');
    writeFileSync(file, bytes);
    expect(await fileSha256(file)).toBe(sha256(bytes));
  });
});
