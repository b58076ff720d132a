import { createRuntime, readFixtures } from '@tongkit/runtime';
import { buildPlugin } from '@tongkit/runtime/build';
const root = new URL('.', import.meta.url).pathname;
const { bundle } = await buildPlugin(root, { minify: false });
const plugin = await createRuntime().load(bundle);
const [f] = await readFixtures('/work/main/examples/member-tiers/fixtures');
const r = await plugin.invoke(f.point, f.input);
console.log(r.ok ? r.output : r.error);
