// Rule fields in the rjsf form: held as JSON text, so rjsf's default merging cannot mix an edited rule
// with its default, parsed back for the host, and the host's errors inside a rule shown at the rule.
import { getDefaultFormState, type RJSFSchema } from '@rjsf/utils';
import { describe, expect, it } from 'vitest';
import { foldRuleErrors, fromFormValue, ruleForm, toFormValue } from './rule-form';
import { serverSideValidator } from './validator';

const earn = { div: [{ var: 'order.spendFen' }, 100] };
const schema = {
  type: 'object',
  properties: {
    tiers: { type: 'array', items: { type: 'string' }, default: ['regular'] },
    earnRules: {
      type: 'array',
      default: [{ label: 'per yuan', points: earn }],
      items: {
        type: 'object',
        required: ['label', 'points'],
        properties: {
          label: { type: 'string' },
          when: { 'x-tongkit-rule': { point: 'member.points.earn', result: 'boolean' }, default: true },
          points: { 'x-tongkit-rule': { point: 'member.points.earn', result: 'integer' }, default: earn },
        },
      },
    },
  },
} as RJSFSchema;
const edited = { tiers: ['regular'], earnRules: [{ label: 'per yuan', points: { bps: [{ var: 'order.spendFen' }, 150] } }] };

describe('rule fields in the settings form', () => {
  it('rjsf would merge an edited rule with its default (why rules are held as text)', () => {
    const merged = getDefaultFormState(serverSideValidator, schema, edited) as typeof edited;
    expect(Object.keys(merged.earnRules[0]!.points as object).sort()).toEqual(['bps', 'div']);
  });

  it('as text, an edited rule survives rjsf’s defaults and comes back exactly', () => {
    const form = ruleForm(schema);
    const state = getDefaultFormState(serverSideValidator, form.schema, toFormValue(schema, edited));
    const back = fromFormValue(schema, state);
    expect(back.problems).toEqual([]);
    expect(back.value).toEqual({ ...edited, earnRules: [{ ...edited.earnRules[0], when: true }] });
  });

  it('fills a new array item’s rules from their defaults, as text, and draws them with the rule widget', () => {
    const form = ruleForm(schema);
    const items = (form.schema.properties!['earnRules'] as RJSFSchema).items as RJSFSchema;
    expect(items.properties!['points']).toEqual({ 'x-tongkit-rule': { point: 'member.points.earn', result: 'integer' }, type: 'string', default: JSON.stringify(earn, null, 2) });
    expect(form.uiSchema).toEqual({ earnRules: { items: { when: { 'ui:widget': 'rule' }, points: { 'ui:widget': 'rule' } } } });
    expect((form.schema.properties!['earnRules'] as RJSFSchema).default).toEqual([{ label: 'per yuan', points: JSON.stringify(earn, null, 2) }]);
  });

  it('leaves a schema without rules as it is', () => {
    const plain = { type: 'object', properties: { goldAtFen: { type: 'integer', default: 1 } } } as RJSFSchema;
    expect(ruleForm(plain)).toEqual({ schema: plain, uiSchema: undefined });
    expect(fromFormValue(plain, { goldAtFen: 2 })).toEqual({ value: { goldAtFen: 2 }, problems: [] });
  });

  it('names each rule whose text is not JSON at its settings path, and keeps the text', () => {
    const back = fromFormValue(schema, { earnRules: [{ label: 'a', points: '1' }, { label: 'b', points: '{"div": [' }] });
    expect(back.problems).toEqual([{ path: '/earnRules/1/points' }]);
  });

  it('moves the host’s errors inside a rule onto the rule’s field', () => {
    const errors = { earnRules: { 0: { points: { __errors: ['a'], div: { 0: { __errors: ['b'] } } }, label: { __errors: ['c'] } } } };
    expect(foldRuleErrors(schema, errors as never)).toEqual({ earnRules: { 0: { points: { __errors: ['a', 'b'] }, label: { __errors: ['c'] } } } });
  });
});
