/**
 * docs/configuration.md is generated from the config schema (tools/docs/config-doc.ts): the committed page
 * must be what the schema says today, and every knob must say what it does.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configDoc } from '../../tools/docs/config-doc.js';

describe('the configuration page', () => {
  it('is what the config schema generates (run `npm run docs:config` after changing the schema)', () => {
    expect(readFileSync('docs/configuration.md', 'utf8')).toBe(configDoc());
  });

  it('describes every knob', () => {
    const undescribed = configDoc()
      .split('\n')
      .filter((l) => /^\| `[a-z_.]+` \|/.test(l) && / \|\s*\|$/.test(l));
    expect(undescribed).toEqual([]);
  });
});
