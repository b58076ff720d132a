import type { WidgetProps } from '@rjsf/utils';
import { Input, Typography } from 'antd';
import { useTranslation } from 'react-i18next';

function parses(text: unknown): boolean {
  if (typeof text !== 'string') return true;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A rule (Tongkit's JsonLogic dialect, docs/rules.md) edited as its JSON text. The form holds the text
 * (see rule-form.ts); text that is not JSON yet is marked here and is not sent when the form is saved.
 */
export function RuleWidget(props: WidgetProps) {
  const { t } = useTranslation();
  const text = typeof props.value === 'string' ? props.value : '';
  const notJson = !parses(props.value);
  const hintId = `${props.id}__rule-hint`;
  return (
    <div className="tk-rule-field">
      <Input.TextArea
        id={props.id}
        name={props.name}
        value={text}
        disabled={props.disabled || props.readonly}
        spellCheck={false}
        // Rows from the text, not antd's autoSize: its measuring textarea is left in the page, aria-hidden
        // yet focusable (`tab-index` instead of `tabindex`), which axe reports as a serious violation.
        rows={Math.min(14, Math.max(2, text.split('\n').length))}
        style={{ fontFamily: 'monospace' }}
        status={notJson || (props.rawErrors?.length ?? 0) > 0 ? 'error' : ''}
        aria-describedby={hintId}
        onChange={(event) => props.onChange(event.target.value === '' ? undefined : event.target.value)}
        onBlur={() => props.onBlur(props.id, text)}
        onFocus={() => props.onFocus(props.id, text)}
      />
      <div id={hintId}>
        {notJson ? <Typography.Text type="danger">{t('rules.notJson')}</Typography.Text> : <Typography.Text type="secondary">{t('rules.jsonLogic')}</Typography.Text>}
      </div>
    </div>
  );
}
