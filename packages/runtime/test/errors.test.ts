// The error taxonomy as a plugin developer meets it: every way a handler can break its contract ends in
// a result with a stable code (and the JSON path where there is one), never in a rejected promise or a
// crashed host. Fixtures: plugins/misbehave (the member ID picks the fault) and plugins/tiers.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TK_ERROR_CODES } from '@tongkit/sdk';
import { createRuntime, type LoadedPlugin } from '@tongkit/runtime';
import { expectFailure, expectOutput, loadFixture, pluginDir, tierInput } from './helpers.js';

let misbehave: LoadedPlugin;
let tiers: LoadedPlugin;

beforeAll(async () => {
  const runtime = createRuntime();
  misbehave = await loadFixture('misbehave', runtime);
  tiers = await loadFixture('tiers', runtime);
});

const invoke = async (memberId: string) => misbehave.invoke('member.tier.compute', await tierInput(memberId));

describe('invalid outputs', () => {
  it.each([
    ['wrong-type', '/tierId', /Expected string/],
    ['missing-field', '/reason', /Expected required property/],
    ['extra-field', '/bonus', /Unexpected property/],
  ])('refuses an output with %s as TK_INVALID_OUTPUT at its JSON path', async (memberId, path, message) => {
    const error = expectFailure(await invoke(memberId), 'TK_INVALID_OUTPUT');
    expect(error.path).toBe(path);
    expect(error.message).toContain(`invalid at ${path}`);
    expect(error.message).toMatch(message);
    expect(error.fault).toBe('plugin');
    expect(error.hint).toBe(TK_ERROR_CODES.TK_INVALID_OUTPUT.hint);
    expect(error.details?.problems).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  });

  it('refuses a tier that is not among the input tiers with TK_INVALID_OUTPUT at /tierId', async () => {
    const error = expectFailure(await invoke('unknown-tier'), 'TK_INVALID_OUTPUT');
    expect(error.path).toBe('/tierId');
    expect(error.message).toContain('"platinum" is not one of the input\'s tiers (regular, silver, gold)');
  });

  it('refuses a returned Promise: extension handlers are synchronous', async () => {
    const error = expectFailure(await invoke('promise'), 'TK_INVALID_OUTPUT');
    expect(error.message).toMatch(/returned a Promise/);
  });

  it('refuses an output that is not JSON: a BigInt', async () => {
    const error = expectFailure(await invoke('bigint'), 'TK_INVALID_OUTPUT');
    expect(error.message).toMatch(/not JSON-serialisable.*BigInt/);
  });

  it('refuses an output that is not JSON: a cycle', async () => {
    const error = expectFailure(await invoke('cyclic'), 'TK_INVALID_OUTPUT');
    expect(error.message).toMatch(/not JSON-serialisable.*circular/);
  });

  it.each([
    ['NaN in a string field', 'nan-reason', /NaN is not a JSON number \(at "reason"\)/],
    ['NaN in a nullable date', 'nan-expiry', /NaN is not a JSON number \(at "expiresAt"\)/],
    ['Infinity in a nullable date', 'infinite-expiry', /Infinity is not a JSON number \(at "expiresAt"\)/],
  ])('refuses %s instead of letting JSON turn it into null (a null expiresAt would read "never lapses")', async (_what, memberId, message) => {
    const error = expectFailure(await invoke(memberId), 'TK_INVALID_OUTPUT');
    expect(error.message).toMatch(message);
  });

  it('refuses a handler that returns nothing', async () => {
    const error = expectFailure(await invoke('undefined-output'), 'TK_INVALID_OUTPUT');
    expect(error.message).toMatch(/returned undefined, expected an object/);
  });
});

describe('thrown errors', () => {
  it('reports a thrown Error as TK_PLUGIN_ERROR with its stack mapped to the plugin source', async () => {
    const source = await readFile(join(pluginDir('misbehave'), 'src/index.ts'), 'utf8');
    const throwLine = source.split('\n').findIndex((line) => line.includes('<- THROWS HERE')) + 1;
    expect(throwLine).toBeGreaterThan(0);

    const error = expectFailure(await invoke('throw-error'), 'TK_PLUGIN_ERROR');
    expect(error.fault).toBe('plugin');
    expect(error.message).toContain('threw Error: no tier fits this member');
    expect(error.message).toContain(`src/index.ts:${throwLine}:`);
    const stack = String(error.details?.stack);
    expect(stack).toContain(`src/index.ts:${throwLine}:`);
    expect(stack).not.toContain('plugin.js');
    expect(stack).not.toContain('tongkit-prelude');
  });

  it.each([
    ['a string', 'throw-string', /threw a non-Error value: plain string/],
    ['null', 'throw-null', /threw a non-Error value: null/],
    ['an object whose getters throw', 'throw-getters', /threw Error/],
  ])('reports a thrown %s as TK_PLUGIN_ERROR', async (_what, memberId, message) => {
    const error = expectFailure(await invoke(memberId), 'TK_PLUGIN_ERROR');
    expect(error.message).toMatch(message);
    expect(typeof error.details?.stack).toBe('string');
  });

  it('reports a stack overflow as TK_PLUGIN_ERROR and keeps serving', async () => {
    const error = expectFailure(await invoke('stack-overflow'), 'TK_PLUGIN_ERROR');
    expect(error.message).toMatch(/RangeError: Maximum call stack size exceeded/);
    expect(expectOutput(await invoke('ok')).reason).toBe('behaves');
  });

  it('keeps the isolate warm after a plugin error: only limits rebuild it', async () => {
    expectFailure(await invoke('throw-error'), 'TK_PLUGIN_ERROR');
    const next = await invoke('ok');
    expect(next.measurements.isolate).toBe('warm');
  });
});

describe('invalid calls', () => {
  it('refuses an invalid input with TK_VALIDATION at its JSON path, before running the plugin', async () => {
    const input = await tierInput();
    input.member.spend12mFen.online = -1;
    const result = await tiers.invoke('member.tier.compute', input);
    const error = expectFailure(result, 'TK_VALIDATION');
    expect(error.path).toBe('/member/spend12mFen/online');
    expect(error.fault).toBe('user');
    expect(result.measurements.cpuMicros).toBe(0);
  });

  it('refuses an input with a fractional amount of fen, or a timestamp that is not RFC 3339', async () => {
    const fractional = await tierInput();
    fractional.member.spend12mFen.store = 12.5;
    expect(expectFailure(await tiers.invoke('member.tier.compute', fractional), 'TK_VALIDATION').path).toBe('/member/spend12mFen/store');

    const sloppyDate = await tierInput();
    sloppyDate.now = '25/11/2026';
    expect(expectFailure(await tiers.invoke('member.tier.compute', sloppyDate), 'TK_VALIDATION').path).toBe('/now');
  });

  it('refuses an input that is not JSON with TK_VALIDATION', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expectFailure(await tiers.invoke('member.tier.compute', cyclic), 'TK_VALIDATION');
    expectFailure(await tiers.invoke('member.tier.compute', undefined), 'TK_VALIDATION');
  });

  it('refuses invalid settings with TK_VALIDATION at their path', async () => {
    const result = await tiers.invoke('member.tier.compute', await tierInput(), { goldAtFen: 'lots' });
    const error = expectFailure(result, 'TK_VALIDATION');
    expect(error.path).toBe('/goldAtFen');
    expect(() => tiers.resolveSettings({ silverAtFen: -1 })).toThrow(expect.objectContaining({ code: 'TK_VALIDATION', path: '/silverAtFen' }));
  });

  it('fills missing settings from the schema defaults', async () => {
    expect(tiers.resolveSettings({ goldAtFen: 1 })).toEqual({ goldAtFen: 1, silverAtFen: 100_000 });
    const input = await tierInput();
    input.member.spend12mFen = { online: 0, store: 150_000 };
    expect(expectOutput(await tiers.invoke('member.tier.compute', input)).tierId).toBe('silver');
    expect(expectOutput(await tiers.invoke('member.tier.compute', input, { silverAtFen: 200_000 })).tierId).toBe('regular');
  });

  it('answers an unknown point with a TK_NOT_FOUND result, not a rejection', async () => {
    const result = await tiers.invoke('member.tier.promote' as 'member.tier.compute', await tierInput());
    const error = expectFailure(result, 'TK_NOT_FOUND');
    expect(error.message).toContain('member.tier.promote');
  });
});
