/**
 * The SDK's incremental SHA-256 (sdk/src/sha256.ts) against Web Crypto: the FIPS examples, every length
 * around the block and padding edges, and random inputs fed in random chunks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Sha256 } from '../../sdk/src/sha256.js';

async function webCrypto(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Buffer.from(digest).toString('hex');
}

/** `bytes` hashed in the pieces that `cuts` (sorted offsets) make. */
function chunked(bytes: Uint8Array, cuts: number[]): string {
  const hash = new Sha256();
  let from = 0;
  for (const cut of [...cuts.map((c) => Math.min(c, bytes.byteLength)).sort((a, b) => a - b), bytes.byteLength]) {
    hash.update(bytes.subarray(from, cut));
    from = Math.max(from, cut);
  }
  return hash.hex();
}

describe('the SDK SHA-256', () => {
  it('gives the FIPS 180-4 examples', () => {
    const text = (s: string) => new Sha256().update(new TextEncoder().encode(s)).hex();
    expect(text('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(text('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('agrees with Web Crypto at every length around the block and padding edges', async () => {
    for (let n = 0; n <= 200; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 255);
      expect(new Sha256().update(bytes).hex(), `${n} bytes`).toBe(await webCrypto(bytes));
    }
  });

  it('agrees with Web Crypto on random inputs cut into random chunks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 5000 }), fc.array(fc.nat({ max: 5000 }), { maxLength: 12 }), async (bytes, cuts) => {
        expect(chunked(bytes, cuts)).toBe(await webCrypto(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with Web Crypto on a few megabytes in network-sized chunks', async () => {
    const bytes = new Uint8Array(3 * 1024 * 1024 + 17);
    for (let at = 0; at < bytes.byteLength; at += 65536) crypto.getRandomValues(bytes.subarray(at, Math.min(at + 65536, bytes.byteLength)));
    const cuts = Array.from({ length: 200 }, (_, i) => i * 16_411);
    expect(chunked(bytes, cuts)).toBe(await webCrypto(bytes));
  });

  it('takes no data after its digest', () => {
    const hash = new Sha256();
    hash.hex();
    expect(() => hash.update(new Uint8Array(1))).toThrow(/after digest/);
  });
});
