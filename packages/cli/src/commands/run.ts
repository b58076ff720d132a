import { Args, Flags } from '@oclif/core';
import { EXTENSION_POINT_IDS, TkError, type ExtensionPointId } from '@tongkit/sdk';
import { FIRST_CALL_CPU_FACTOR, judgeOnAWarmCall, passedOnFirstCallAllowance } from '@tongkit/runtime';
import { TongkitCommand } from '../internal/base-command.js';
import { formatLogs, formatMeasurements, jsonForTerminal, micros, paint } from '../internal/output.js';
import { loadProject, readJsonArgument } from '../internal/project.js';

function isFixture(value: unknown): value is { input: unknown; settings?: unknown; point?: string } {
  return typeof value === 'object' && value !== null && 'input' in value && 'point' in value;
}

export default class Run extends TongkitCommand {
  static override summary = 'Run one extension point on an input file, in the real sandbox, with measurements.';
  static override description = `Builds the plugin from source (or loads --dist), validates the input against the point's
schema, runs the handler in an isolated-vm sandbox under the platform limits and prints the validated
output with CPU, wall time, heap and sizes. The input file may be a bare input or a fixture
({ "point", "input", "settings"? }). Exits 1 with the TK_* code when the plugin fails. A first call on a
new isolate may use 5× the CPU budget while it compiles the handler; when it needed that, a warm call is
made and judged, as production serves calls warm.`;
  static override examples = [
    '<%= config.bin %> run member.tier.compute --input fixtures/gold.json',
    '<%= config.bin %> run member.tier.compute --input input.json --settings settings.json --json',
    'cat input.json | <%= config.bin %> run member.tier.compute --input -',
  ];
  static override args = {
    point: Args.string({ required: true, description: `Extension point (${EXTENSION_POINT_IDS.join(', ')})` }),
  };
  static override flags = {
    input: Flags.string({ char: 'i', summary: 'Input JSON file (or a fixture file); - reads stdin.', required: true }),
    settings: Flags.string({ char: 's', summary: 'Settings JSON file; defaults come from the settings schema.' }),
    dist: Flags.string({ summary: 'Run an already built plugin folder (e.g. dist) instead of building from source.' }),
    fresh: Flags.boolean({ summary: 'Run on a new isolate, as a replay would.', default: false }),
  };

  async run() {
    const { args, flags } = await this.parse(Run);
    const point = args.point;
    if (!(EXTENSION_POINT_IDS as string[]).includes(point)) {
      throw new TkError('TK_NOT_FOUND', `unknown extension point "${point}"`, {
        fault: 'user',
        hint: `Extension points: ${EXTENSION_POINT_IDS.join(', ')} (\`tongkit schema\` shows them).`,
      });
    }
    const file = await readJsonArgument(flags.input, '--input');
    const input = isFixture(file) ? file.input : file;
    const settings = flags.settings ? await readJsonArgument(flags.settings, '--settings') : isFixture(file) ? file.settings : undefined;

    const { plugin, runtime } = await loadProject(flags.dir, { dist: flags.dist });
    try {
      const first = await plugin.invoke(point as ExtensionPointId, input, settings, { fresh: flags.fresh });
      // `run` always makes a first call; one that needed the first-call allowance is judged on a warm call.
      const firstCall = passedOnFirstCallAllowance(first) ? first.measurements : undefined;
      const result = firstCall ? await judgeOnAWarmCall(plugin, point as ExtensionPointId, input, settings, firstCall) : first;
      const base = {
        point,
        plugin: `${plugin.manifest.name}@${plugin.manifest.version}`,
        logs: result.logs,
        logsTruncated: result.logsTruncated,
        measurements: result.measurements,
        ...(firstCall ? { firstCallMeasurements: firstCall } : {}),
      };
      if (!this.jsonEnabled() && firstCall) {
        process.stderr.write(`${paint('dim', `first call: cpu ${micros(firstCall.cpuMicros)}, over the ${micros(firstCall.cpuBudgetMicros)} budget (a new isolate's first call may use ${FIRST_CALL_CPU_FACTOR}×); judged on a warm call`)}\n`);
      }
      if (!result.ok) {
        if (!this.jsonEnabled()) {
          for (const line of formatLogs(result.logs, result.logsTruncated)) process.stderr.write(`${line}\n`);
          const stack = result.error.details?.stack;
          if (typeof stack === 'string' && stack) process.stderr.write(`${paint('dim', stack)}\n`);
          // Failures before the guest ran (bad input, settings) have nothing to measure.
          if (result.measurements.wallMicros > 0) process.stderr.write(`  ${paint('dim', formatMeasurements(result.measurements))}\n`);
        }
        this.reportFailure(result.error, base);
        return undefined;
      }
      if (!this.jsonEnabled()) {
        this.log(jsonForTerminal(result.output, 2));
        const logs = formatLogs(result.logs, result.logsTruncated);
        if (logs.length > 0) process.stderr.write(`${paint('dim', 'logs:')}\n${logs.join('\n')}\n`);
        process.stderr.write(`${paint('green', '✔')} ${point} · ${base.plugin} · ${formatMeasurements(result.measurements)}\n`);
      }
      return { ok: true, ...base, output: result.output };
    } finally {
      await runtime.dispose();
    }
  }
}
