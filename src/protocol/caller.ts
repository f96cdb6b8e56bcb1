/**
 * Who a request is for, as the gateway tells the origin: a stable, non-secret caller id in one header. The
 * gateway derives it from what authenticated the caller (the first 16 hex digits of its API key's SHA-256,
 * which auth already computes) or, without keys, from its address (hashed: an address is personal data and
 * the origin needs only to tell callers apart). The origin trusts the header only from a gateway that
 * presented the shared secret, and keys its rate limit and its fair share of compute by it; a gateway never
 * takes the header from its own clients (they could claim anyone's share).
 */
import { InvalidInput } from '../errors.js';
import { sha256Hex } from '../lib/sha256.js';

/** The header carrying the caller id from gateway to origin. */
export const CALLER_HEADER = 'x-caller-id';

const CALLER_ID = /^[0-9a-f]{16}$/;

/** The caller id of an API key's SHA-256 (hex), as auth already holds it. */
export function callerOfKeyHash(keySha256: string): string {
  return keySha256.slice(0, 16);
}

/** The caller id of a client address (or any other credential-less identity). */
export async function callerOfAddress(address: string): Promise<string> {
  return (await sha256Hex(`address:${address}`)).slice(0, 16);
}

/** A caller id as received in CALLER_HEADER; 400 when it is not one. */
export function parseCallerId(header: string): string {
  const id = header.trim().toLowerCase();
  if (!CALLER_ID.test(id)) throw new InvalidInput(`${CALLER_HEADER} must be 16 hex digits (the gateway's caller id), got '${header.slice(0, 40)}'`);
  return id;
}
