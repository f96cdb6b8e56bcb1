/**
 * SHA-256 as lowercase hex with Web Crypto, the one digest of the Worker and the origin core: API keys and
 * the admin token are compared by it, and variant bytes are checked against their manifest with it.
 * Async because `crypto.subtle` is; the Node-only tools have a synchronous twin in tools/lib/sha256.ts.
 */

/** Hex SHA-256 of text (UTF-8) or bytes. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
