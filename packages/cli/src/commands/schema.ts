import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { EVENT_NAMES, EVENT_PAYLOADS, EXTENSION_POINTS, EXTENSION_POINT_IDS, ManifestSchema, PERMISSIONS, TkError, getExtensionPoint } from '@tongkit/sdk';
import { FixtureSchema } from '@tongkit/runtime';
import { TongkitCommand } from '../internal/base-command.js';
import { paint } from '../internal/output.js';

/** TypeBox schemas are JSON Schema plus symbols; a JSON round trip leaves the portable part. */
const toJson = (schema: unknown) => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;

function pointDocument(id: string) {
  const spec = getExtensionPoint(id)!;
  return {
    id: spec.id,
    apiVersion: spec.apiVersion,
    primitive: spec.primitive,
    title: spec.title,
    description: spec.description,
    combine: spec.combine,
    fallback: spec.fallback,
    budget: spec.budget,
    input: toJson(spec.input),
    output: toJson(spec.output),
  };
}

/** An event's payload schema (`event.data`), by name: `tongkit schema order.paid`. */
const eventDocument = (name: string) =>
  Object.hasOwn(EVENT_PAYLOADS, name) ? { event: name, data: toJson(EVENT_PAYLOADS[name as keyof typeof EVENT_PAYLOADS]) } : undefined;

export default class Schema extends TongkitCommand {
  static override summary = 'Print the JSON Schema of extension points, events, the manifest, fixtures and permissions.';
  static override description = `Without an argument, lists the extension points with their combine mode, budget and fallback.
With a point ID, prints its input and output JSON Schema; with an event name (order.paid), the schema of
its data; "manifest", "fixture" and "permissions" print those. --out writes every schema as a file, for editors and code generators.`;
  static override examples = [
    '<%= config.bin %> schema',
    '<%= config.bin %> schema member.tier.compute',
    '<%= config.bin %> schema order.paid',
    '<%= config.bin %> schema manifest --json',
    '<%= config.bin %> schema --out schemas',
  ];
  static override args = {
    name: Args.string({ description: 'A point ID, an event name, or manifest | fixture | permissions' }),
  };
  static override flags = {
    out: Flags.string({ summary: 'Write all schemas as JSON files into this folder.' }),
  };

  async run() {
    const { args, flags } = await this.parse(Schema);
    if (flags.out) return this.writeAll(resolve(flags.out));
    const name = args.name;
    if (name === undefined) return this.list();
    const document =
      name === 'manifest' ? toJson(ManifestSchema) : name === 'fixture' ? toJson(FixtureSchema) : name === 'permissions' ? PERMISSIONS : getExtensionPoint(name) ? pointDocument(name) : eventDocument(name);
    if (document === undefined) {
      throw new TkError('TK_NOT_FOUND', `no schema named "${name}"`, {
        fault: 'user',
        hint: `Try one of: ${[...EXTENSION_POINT_IDS, ...EVENT_NAMES, 'manifest', 'fixture', 'permissions'].join(', ')}.`,
      });
    }
    if (!this.jsonEnabled()) this.log(JSON.stringify(document, null, 2));
    return document;
  }

  private list() {
    const points = EXTENSION_POINT_IDS.map(pointDocument).map(({ input: _i, output: _o, ...rest }) => rest);
    if (!this.jsonEnabled()) {
      for (const point of points) {
        this.log(`${paint('bold', point.id)}  ${paint('dim', `${point.primitive} · ${point.combine} · api ${point.apiVersion}`)}`);
        this.log(`  ${point.title}. ${point.description}`);
        this.log(`  budget: ${point.budget.cpuMs} ms CPU, ${point.budget.wallMs} ms wall, ${point.budget.heapMb} MB heap · fallback: ${point.fallback}`);
      }
      this.log(`\n${paint('bold', 'events')}  ${EVENT_NAMES.join(', ')}`);
      this.log(paint('dim', `\n\`tongkit schema <point>\` prints its input and output JSON Schema; \`tongkit schema <event>\` its data's.`));
    }
    return { points, events: EVENT_NAMES };
  }

  private async writeAll(outDir: string) {
    await mkdir(outDir, { recursive: true });
    const files: string[] = [];
    const write = async (name: string, value: unknown) => {
      const path = join(outDir, name);
      await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
      files.push(path);
    };
    for (const id of Object.keys(EXTENSION_POINTS)) {
      const doc = pointDocument(id);
      await write(`${id}.input.schema.json`, doc.input);
      await write(`${id}.output.schema.json`, doc.output);
    }
    for (const name of EVENT_NAMES) await write(`${name}.data.schema.json`, toJson(EVENT_PAYLOADS[name]));
    await write('manifest.schema.json', toJson(ManifestSchema));
    await write('fixture.schema.json', toJson(FixtureSchema));
    if (!this.jsonEnabled()) this.log(`${paint('green', '✔')} wrote ${files.length} schemas to ${outDir}`);
    return { ok: true, files };
  }
}
