import { definePlugin } from '@tongkit/sdk';
export default definePlugin({
  name: 'probe', version: '1.0.0', apiVersion: '2026-11',
  extensions: {
    'member.tier.compute': (input) => {
      const steps: string[] = [];
      try { const d = new Date(input.now); steps.push('new'); d.getTime(); steps.push('getTime'); d.toISOString(); steps.push('iso');
        const x = new Date(Date.UTC(2027, 2, 0)); steps.push('utc'); x.getUTCDate(); steps.push('getUTCDate');
      } catch (e) { steps.push('ERR ' + String(e)); }
      return { tierId: 'regular', reason: steps.join(',') };
    },
  },
});
