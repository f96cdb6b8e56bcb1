/**
 * The origin circuit breaker: closed -> open after consecutive failures -> half-open probe -> closed/open;
 * a released call (no verdict on the origin) changes none of it.
 */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/origin/breaker.js';

function breaker(failures = 3, openMs = 1000) {
  const clock = { t: 0 };
  return { clock, b: new CircuitBreaker({ failures, openMs, now: () => clock.t }) };
}

describe('CircuitBreaker', () => {
  it('stays closed until the configured number of consecutive failures', () => {
    const { b } = breaker(3);
    b.failure();
    b.failure();
    expect(b.state()).toBe('closed');
    b.success();
    b.failure();
    b.failure();
    expect(b.available()).toBe(true);
    b.failure();
    expect(b.state()).toBe('open');
    expect(b.available()).toBe(false);
    expect(b.acquire()).toBe(false);
  });

  it('lets exactly one probe through when half-open, and closes on its success', () => {
    const { b, clock } = breaker(1, 1000);
    b.failure();
    expect(b.retryAfterSeconds()).toBe(1);
    clock.t = 1000;
    expect(b.state()).toBe('half_open');
    expect(b.acquire()).toBe(true);
    expect(b.acquire()).toBe(false);
    expect(b.available()).toBe(false);
    b.success();
    expect(b.state()).toBe('closed');
    expect(b.retryAfterSeconds()).toBe(0);
  });

  it('opens again at once when the half-open probe fails', () => {
    const { b, clock } = breaker(5, 1000);
    for (let i = 0; i < 5; i++) b.failure();
    clock.t = 1500;
    expect(b.acquire()).toBe(true);
    b.failure();
    expect(b.state()).toBe('open');
    clock.t = 2499;
    expect(b.available()).toBe(false);
    clock.t = 2500;
    expect(b.available()).toBe(true);
  });

  it('neither counts nor clears a released call, and frees the half-open probe slot for the next call', () => {
    const { b, clock } = breaker(2, 1000);
    b.failure();
    expect(b.acquire()).toBe(true);
    b.release();
    expect(b.state()).toBe('closed');
    b.failure();
    expect(b.state()).toBe('open');
    clock.t = 1000;
    expect(b.acquire()).toBe(true);
    expect(b.available()).toBe(false);
    b.release();
    expect(b.state()).toBe('half_open');
    expect(b.available()).toBe(true);
    expect(b.acquire()).toBe(true);
    b.success();
    expect(b.state()).toBe('closed');
  });

  it('re-probes sooner after failures where nothing answered, never later than the configured open time', () => {
    const { b, clock } = breaker(2, 5000);
    b.failure(800);
    b.failure(800);
    expect(b.state()).toBe('open');
    expect(b.retryAfterSeconds()).toBe(1);
    clock.t = 800;
    expect(b.acquire()).toBe(true);
    b.failure(60_000);
    clock.t = 800 + 4999;
    expect(b.available()).toBe(false);
    clock.t = 800 + 5000;
    expect(b.available()).toBe(true);
  });
});
