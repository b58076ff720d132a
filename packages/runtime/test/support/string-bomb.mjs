// Child process for limits.test.ts: loads the `limits` fixture plugin into a default runtime and runs
// its flattened string-doubling memory bomb. It prints `loaded` before the call and `returned CODE`
// if the call comes back; V8 may instead abort the whole process (see the test).
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { createRuntime } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';

const { bundle } = await buildPlugin(fileURLToPath(new URL('../plugins/limits', import.meta.url)));
const gold = JSON.parse(await readFile(new URL('../../../../templates/member-tier/fixtures/gold.json', import.meta.url), 'utf8'));
const input = { ...gold.input, member: { ...gold.input.member, id: 'string-doubling' } };
const plugin = await createRuntime().load(bundle);
process.stdout.write('loaded\n');
const result = await plugin.invoke('member.tier.compute', input);
process.stdout.write(`returned ${result.ok ? 'an output' : result.error.code}\n`);
