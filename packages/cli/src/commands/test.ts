import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { TkError } from '@tongkit/sdk';
import { readFixtures, runFixtures, type FixtureResult } from '@tongkit/runtime';
import { TongkitCommand } from '../internal/base-command.js';
import { jsonForTerminal, micros, paint, terminalSafe } from '../internal/output.js';
import { loadProject } from '../internal/project.js';

export default class Test extends TongkitCommand {
  static override summary = "Run the project's fixtures through the sandbox: input → expected output.";
  static override description = `Every JSON file under fixtures/ is { "point", "input", "settings"?, "expect" | "expectError" }.
Each runs twice, on a warm isolate and on a fresh one; differing answers mean the plugin keeps state
between calls, which breaks replay, and fail the fixture. Exits 1 when any fixture fails.`;
  static override examples = ['<%= config.bin %> test', '<%= config.bin %> test --fixtures test/cases --json'];
  static override flags = {
    fixtures: Flags.string({ summary: 'Fixtures folder, relative to the project.', default: 'fixtures' }),
    dist: Flags.string({ summary: 'Test an already built plugin folder instead of building from source.' }),
  };

  async run() {
    const { flags } = await this.parse(Test);
    const { plugin, runtime, root } = await loadProject(flags.dir, { dist: flags.dist });
    try {
      const fixtures = await readFixtures(join(root, flags.fixtures), root);
      if (fixtures.length === 0) {
        throw new TkError('TK_NOT_FOUND', `no fixtures in ${flags.fixtures}/`, {
          fault: 'user',
          hint: 'Add fixtures/<name>.json files: { "point": "member.tier.compute", "input": {…}, "expect": {…} }.',
        });
      }
      const results: FixtureResult[] = await runFixtures(plugin, fixtures);
      const passed = results.filter((r) => r.passed).length;
      const failed = results.length - passed;
      if (!this.jsonEnabled()) {
        for (const result of results) {
          const mark = result.passed ? paint('green', '✔') : paint('red', '✖');
          this.log(`${mark} ${terminalSafe(result.file)}  ${paint('dim', `${result.point} · cpu ${micros(result.measurements.cpuMicros)}`)}`);
          if (result.passed) continue;
          this.log(`    ${terminalSafe(result.failure ?? '')}`);
          if (result.actual !== undefined && !isDeepStrictEqual(result.actual, result.expected)) {
            this.log(`    expected: ${jsonForTerminal(result.expected)}`);
            this.log(`    actual:   ${jsonForTerminal(result.actual)}`);
          }
        }
        this.log(`${passed} passed, ${failed} failed`);
      }
      if (failed > 0) {
        const error = new TkError('TK_TEST_FAILED', `${failed} of ${results.length} fixtures failed`);
        if (this.jsonEnabled()) this.reportFailure(error, { passed, failed, results });
        else process.exitCode = 1;
        return undefined;
      }
      return { ok: true, passed, failed, results };
    } finally {
      await runtime.dispose();
    }
  }
}
