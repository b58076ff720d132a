import { it } from 'vitest';
import { createRuntime } from '@tongkit/runtime';
import { buildFixture, tierInput } from '../helpers.js';

const show = (label: string, r: any) => console.log(label, JSON.stringify(r.ok ? { ok: true, output: String(JSON.stringify(r.output)).slice(0, 200), logs: r.logs.length, t: r.logsTruncated, m: r.measurements } : { code: r.error.code, msg: r.error.message.slice(0, 300), path: r.error.path, details: JSON.stringify(r.error.details ?? {}).slice(0, 600), t: r.logsTruncated, logBytes: r.measurements.logBytes, iso: r.measurements.isolate }));

it('explore', async () => {
  const rt = createRuntime();
  for (const name of ['misbehave', 'limits']) {
    const { bundle } = await buildFixture(name);
    const p = await rt.load(bundle, { installId: name });
    const ids = name === 'misbehave'
      ? ['wrong-type','missing-field','extra-field','unknown-tier','nan-reason','nan-expiry','infinite-expiry','undefined-output','promise','bigint','cyclic','throw-error','throw-string','throw-null','throw-getters','stack-overflow','ok']
      : ['infinite-loop','ok','array-doubling','ok','string-doubling','ok','big-output','enormous-output','ok','log-flood'];
    for (const id of ids) show(`${name}/${id}`, await p.invoke('member.tier.compute', await tierInput(id)));
    if (name === 'limits') {
      const i = await tierInput('burn'); i.member.growthValue = 10_000_000;
      show('burn', await p.invoke('member.tier.compute', i));
      show('burn', await p.invoke('member.tier.compute', i));
    }
  }
  console.log(rt.stats());
  try { await (await rt.load((await buildFixture('misbehave')).bundle)).invoke('nope' as any, {}); } catch (e) { console.log('threw', e); }
});
