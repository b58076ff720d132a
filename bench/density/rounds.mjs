// The measured part of bench/density, shared by the worker-pool run (bench/density/bench.mjs) and the
// in-process run (bench/density/inprocess.mjs, in a child process of its own so its RSS is its own):
// load N installs of one bundle, then call them round-robin, one call at a time, for a few rounds.
import { summarize } from '../lib/stats.mjs';
import { POINT, countBy, outcomeOf, sleep } from '../lib/pool.mjs';

/**
 * `runtime.load` for installs 0…n-1 (`loadConcurrency` at a time), then `rounds` rounds calling each
 * install in turn. `rss()` is the resident memory to report (sampled every 100 ms for the peak);
 * `loadOptions(i)` the options of install i's load.
 */
export async function densityRounds({ runtime, bundle, input, installs, rounds, loadConcurrency, loadOptions, rss }) {
  let peakRss = 0;
  const sampleRss = () => (peakRss = Math.max(peakRss, rss()));
  const sampler = setInterval(sampleRss, 100);
  try {
    const t0 = performance.now();
    const plugins = new Array(installs);
    let next = 0;
    await Promise.all(
      Array.from({ length: loadConcurrency }, async () => {
        for (let i = next++; i < installs; i = next++) plugins[i] = await runtime.load(bundle, loadOptions(i));
      }),
    );
    const loadMs = performance.now() - t0;
    await sleep(300);
    const afterLoad = { rssBytes: rss(), stats: runtime.stats() };

    const perRound = [];
    const all = new Float64Array(installs * rounds);
    const allCold = [];
    const allWarm = [];
    const outcomes = [];
    for (let round = 0; round < rounds; round++) {
      const samples = new Float64Array(installs);
      const cold = [];
      const warm = [];
      const start = process.hrtime.bigint();
      for (let i = 0; i < installs; i++) {
        const c0 = process.hrtime.bigint();
        const result = await plugins[i].invoke(POINT, input);
        const ns = Number(process.hrtime.bigint() - c0);
        samples[i] = ns;
        all[round * installs + i] = ns;
        outcomes.push(outcomeOf(result));
        (result.measurements.isolate === 'cold' ? cold : warm).push(ns);
      }
      const busy = Number(process.hrtime.bigint() - start);
      sampleRss();
      perRound.push({
        round: round + 1,
        ...summarize(samples, busy),
        coldCalls: cold.length,
        coldP50Us: cold.length ? summarize(Float64Array.from(cold), 0).p50Us : null,
        warmP50Us: warm.length ? summarize(Float64Array.from(warm), 0).p50Us : null,
        rssBytes: rss(),
      });
      allCold.push(...cold);
      allWarm.push(...warm);
    }
    await sleep(300);
    sampleRss();
    return {
      installs,
      rounds,
      loadMs: Math.round(loadMs),
      afterLoad,
      perRound,
      overall: summarize(all, 0),
      cold: allCold.length ? { n: allCold.length, ...summarize(Float64Array.from(allCold), 0) } : null,
      warm: allWarm.length ? { n: allWarm.length, ...summarize(Float64Array.from(allWarm), 0) } : null,
      outcomes: countBy(outcomes, (o) => o),
      end: { rssBytes: rss(), stats: runtime.stats() },
      peakRssBytes: peakRss,
    };
  } finally {
    clearInterval(sampler);
  }
}
