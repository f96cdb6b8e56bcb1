/**
 * SHA-256 for the Node tools (setup, compressor, model builders): hex digests of bytes in memory and of
 * files streamed from disk, as recorded in model manifests. The Worker and origin core use the Web Crypto
 * twin in src/lib/sha256.ts; both give the same lowercase hex.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Hex SHA-256 of bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Hex SHA-256 of a file, read in 4 MiB chunks so a multi-hundred-MB variant never sits in memory whole. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
