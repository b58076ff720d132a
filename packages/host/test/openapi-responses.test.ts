// Every operation of GET /openapi.json documents what it answers on success: a 2xx response with a
// JSON schema (or a 204 with no body). The same schema serialises the reply, so a route cannot leak a
// field it did not declare, and the CLI client's types (packages/cli) are derived from these schemas.
import { afterAll, describe, expect, it } from 'vitest';
import { ok, startTestHost, type TestHost } from './helpers.js';

interface Response {
  description?: string;
  content?: Record<string, { schema?: unknown }>;
}
const t: TestHost = await startTestHost();
afterAll(async () => {
  await t.close();
});
const document = (await ok(t.api(undefined, 'GET', '/openapi.json'))) as { paths: Record<string, Record<string, { responses?: Record<string, Response> }>> };
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, responses: op.responses ?? {} })),
);

/** A schema that constrains something: more than a description (`{ description: 'Done' }` says nothing). */
const saysSomething = (schema: unknown): boolean =>
  typeof schema === 'object' && schema !== null && Object.keys(schema).some((key) => key !== 'description');

/** The success statuses an operation documents with what it answers: a JSON schema, or 204's nothing. */
function successSchemas(responses: Record<string, Response>): string[] {
  return Object.entries(responses)
    .filter(([status]) => /^2(\d\d|XX)$/.test(status))
    .filter(([status, response]) => status === '204' || saysSomething(response.content?.['application/json']?.schema))
    .map(([status]) => status);
}

describe('the OpenAPI document', () => {
  it('has operations to check', () => {
    expect(operations.length).toBeGreaterThan(40);
  });

  it('gives every operation a 2xx response schema', () => {
    const missing = operations.filter((op) => successSchemas(op.responses).length === 0).map((op) => op.name);
    expect(missing).toEqual([]);
  });

  it('documents no success status without saying what it answers', () => {
    const vague = operations.flatMap((op) =>
      Object.entries(op.responses)
        .filter(([status]) => /^2/.test(status))
        .filter(([status, response]) => status !== '204' && !saysSomething(response.content?.['application/json']?.schema))
        .map(([status]) => `${op.name} ${status}`),
    );
    expect(vague).toEqual([]);
  });
});
