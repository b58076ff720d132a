import { describe, expect, it } from 'vitest';
import { TK_ERROR_CODES, TkError, isTkError, type TkErrorCode } from '@tongkit/sdk';

describe('TkError', () => {
  it('is an Error with a stable code, and the fault and hint of its code by default', () => {
    const error = new TkError('TK_TIMEOUT', 'member.tier.compute used 31 ms of CPU');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TkError');
    expect(error.code).toBe('TK_TIMEOUT');
    expect(error.message).toBe('member.tier.compute used 31 ms of CPU');
    expect(error.fault).toBe('plugin');
    expect(error.hint).toBe(TK_ERROR_CODES.TK_TIMEOUT.hint);
    expect(error.path).toBeUndefined();
    expect(error.details).toBeUndefined();
  });

  it('lets the thrower override the fault and hint and add a path, details and a cause', () => {
    const cause = new Error('underlying');
    const error = new TkError('TK_NOT_FOUND', 'no such point', {
      fault: 'plugin',
      hint: 'Run `tongkit schema`.',
      path: '/point',
      details: { point: 'nope' },
      cause,
    });
    expect(error.fault).toBe('plugin');
    expect(error.hint).toBe('Run `tongkit schema`.');
    expect(error.path).toBe('/point');
    expect(error.details).toEqual({ point: 'nope' });
    expect(error.cause).toBe(cause);
  });

  it('serialises to plain JSON without a stack, and without absent optional fields', () => {
    const bare = new TkError('TK_INTERNAL', 'bug');
    expect(bare.toJSON()).toEqual({ code: 'TK_INTERNAL', message: 'bug', fault: 'platform', hint: TK_ERROR_CODES.TK_INTERNAL.hint });
    expect(Object.keys(bare.toJSON())).not.toContain('path');
    expect(Object.keys(bare.toJSON())).not.toContain('details');
    expect(JSON.stringify(bare)).not.toContain('stack');

    const full = new TkError('TK_VALIDATION', 'must be an integer number of fen', { path: '/amountFen', details: { got: 1.5 } });
    expect(JSON.parse(JSON.stringify({ error: full }))).toEqual({
      error: {
        code: 'TK_VALIDATION',
        message: 'must be an integer number of fen',
        fault: 'user',
        hint: TK_ERROR_CODES.TK_VALIDATION.hint,
        path: '/amountFen',
        details: { got: 1.5 },
      },
    });
  });

  it('has a fault and an actionable hint for every code of the design', () => {
    const designCodes: TkErrorCode[] = [
      'TK_VALIDATION', 'TK_MANIFEST_INVALID', 'TK_PERMISSION_DENIED', 'TK_TIMEOUT', 'TK_MEMORY_LIMIT', 'TK_OUTPUT_TOO_LARGE',
      'TK_INVALID_OUTPUT', 'TK_PLUGIN_ERROR', 'TK_HOST_CALL_LIMIT', 'TK_RATE_LIMITED', 'TK_CIRCUIT_OPEN', 'TK_WORKER_CRASHED',
      'TK_NOT_FOUND', 'TK_CONFLICT', 'TK_UNAUTHORIZED', 'TK_FORBIDDEN', 'TK_INTERNAL',
    ];
    for (const code of designCodes) {
      const { fault, hint } = TK_ERROR_CODES[code];
      expect(['user', 'plugin', 'platform'], code).toContain(fault);
      expect(hint.length, code).toBeGreaterThan(10);
    }
    expect(TK_ERROR_CODES.TK_WORKER_CRASHED.fault).toBe('platform');
    expect(TK_ERROR_CODES.TK_PLUGIN_ERROR.fault).toBe('plugin');
    expect(TK_ERROR_CODES.TK_VALIDATION.fault).toBe('user');
  });
});

describe('isTkError', () => {
  it('recognises TkErrors, and errors of another copy of the SDK by their code', () => {
    expect(isTkError(new TkError('TK_CONFLICT', 'same key, other payload'))).toBe(true);
    expect(isTkError(Object.assign(new Error('from another copy'), { code: 'TK_TIMEOUT' }))).toBe(true);
  });

  it('rejects other errors, unknown codes and look-alike plain objects', () => {
    expect(isTkError(new Error('plain'))).toBe(false);
    expect(isTkError(Object.assign(new Error('node'), { code: 'ENOENT' }))).toBe(false);
    expect(isTkError(Object.assign(new Error('proto'), { code: 'toString' }))).toBe(false);
    expect(isTkError({ code: 'TK_TIMEOUT', message: 'not an Error' })).toBe(false);
    expect(isTkError(null)).toBe(false);
    expect(isTkError('TK_TIMEOUT')).toBe(false);
  });
});
