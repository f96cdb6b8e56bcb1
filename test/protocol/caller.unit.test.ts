/**
 * The caller id the gateway sends the origin: stable per key or address, never the key or the address itself,
 * and a malformed one is a 400 naming the header.
 */
import { describe, expect, it } from 'vitest';
import { callerOfAddress, callerOfKeyHash, CALLER_HEADER, parseCallerId } from '../../src/protocol/caller.js';
import { sha256Hex } from '../../src/lib/sha256.js';

describe('the caller id', () => {
  it("is the first 16 hex digits of the API key's SHA-256, which auth already holds", async () => {
    const hash = await sha256Hex('a secret key');
    expect(callerOfKeyHash(hash)).toBe(hash.slice(0, 16));
    expect(callerOfKeyHash(hash)).not.toContain('secret');
  });

  it('is a hash of the address without a key: stable, distinct per address, and not the address', async () => {
    const a = await callerOfAddress('203.0.113.7');
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(await callerOfAddress('203.0.113.7')).toBe(a);
    expect(await callerOfAddress('203.0.113.8')).not.toBe(a);
  });

  it('is read back from the header as sent, and refused with a 400 naming the header when it is not one', () => {
    expect(parseCallerId(' 0123456789ABCDEF ')).toBe('0123456789abcdef');
    for (const bad of ['', 'alice', '0123456789abcdef0', 'g123456789abcdef']) {
      expect(() => parseCallerId(bad)).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining(CALLER_HEADER) }));
    }
  });
});
