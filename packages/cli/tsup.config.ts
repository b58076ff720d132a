import { readdirSync } from 'node:fs';
import { defineConfig } from 'tsup';

// One output file per command under dist/commands: oclif discovers commands there
// (a command in a topic folder, e.g. src/commands/review/approve.ts, becomes `review approve`).
const commands = readdirSync('src/commands', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));

export default defineConfig({
  entry: Object.fromEntries(commands.map((f) => [`commands/${f.replace(/\.ts$/, '')}`, `src/commands/${f}`])),
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'es2023',
  splitting: true,
  external: ['isolated-vm', 'esbuild', '@tongkit/runtime', '@tongkit/sdk', '@tongkit/host', '@oclif/core', '@inquirer/prompts'],
});
