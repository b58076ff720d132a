import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
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

describe('TkError.fromJSON', () => {
  it('rebuilds an error from its JSON, keeping code, message, fault, hint, path and details', () => {
    const original = new TkError('TK_VALIDATION', 'must be an integer', { path: '/amountFen', details: { limit: 1 }, hint: 'Use fen.' });
    const rebuilt = TkError.fromJSON(JSON.parse(JSON.stringify(original.toJSON())));
    expect(rebuilt).toBeInstanceOf(TkError);
    expect(rebuilt.toJSON()).toEqual(original.toJSON());
  });

  it('turns a code this version does not know into a readable TK_INTERNAL naming the code', () => {
    const rebuilt = TkError.fromJSON({ code: 'TK_FROM_THE_FUTURE', message: 'a newer host said so' }, 'the host at http://h');
    expect(rebuilt.code).toBe('TK_INTERNAL');
    expect(rebuilt.message).toBe('the host at http://h answered with the error code TK_FROM_THE_FUTURE, which this version of Tongkit does not know: a newer host said so');
    expect(rebuilt.details).toEqual({ code: 'TK_FROM_THE_FUTURE' });
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(TkError.fromJSON(value)).toBeInstanceOf(TkError);
      }),
    );
    expect(TkError.fromJSON({ code: 'TK_NOT_FOUND', fault: 'nobody', details: [1], hint: 3 }).toJSON()).toEqual({
      code: 'TK_NOT_FOUND',
      message: 'TK_NOT_FOUND',
      fault: 'user',
      hint: TK_ERROR_CODES.TK_NOT_FOUND.hint,
    });
  });
});

describe('TkError.from', () => {
  it('keeps a TkError as it is and wraps anything else as TK_INTERNAL with its context and cause', () => {
    const tk = new TkError('TK_TIMEOUT', 'slow');
    expect(TkError.from(tk)).toBe(tk);
    const cause = new Error('socket closed');
    const wrapped = TkError.from(cause, 'the sandbox worker pool');
    expect(wrapped.code).toBe('TK_INTERNAL');
    expect(wrapped.message).toBe('the sandbox worker pool: socket closed');
    expect(wrapped.cause).toBe(cause);
    expect(TkError.from('a string', 'x').message).toBe('x: a string');
  });

  it('leaves the original’s text out when opaque, and takes another code when asked', () => {
    expect(TkError.from(new Error('/etc/secret path'), 'the host call failed', { opaque: true }).message).toBe('the host call failed');
    expect(TkError.from(new Error('bad'), 'reading the plugin', { code: 'TK_BUILD_FAILED' }).code).toBe('TK_BUILD_FAILED');
  });

  it('rebuilds a TkError of another copy of the package by its shape', () => {
    const foreign = Object.assign(new Error('from another copy'), { code: 'TK_CONFLICT', fault: 'user', hint: 'h', path: '/x' });
    const rebuilt = TkError.from(foreign);
    expect(rebuilt).toBeInstanceOf(TkError);
    expect(rebuilt.toJSON()).toEqual({ code: 'TK_CONFLICT', message: 'from another copy', fault: 'user', hint: 'h', path: '/x' });
  });
});
