import Form from '@rjsf/antd';
import type { ErrorSchema, RJSFSchema } from '@rjsf/utils';
import { Button, Space } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api';
import { ErrorAlert } from '../../components';
import { errorSchemaAt, errorSchemaOf } from '../../settings-errors';
import { serverSideValidator } from '../../validator';
import { foldRuleErrors, fromFormValue, ruleForm, toFormValue } from '../../rule-form';
import { RuleWidget } from './RuleWidget';

const WIDGETS = { rule: RuleWidget };

/**
 * A settings form generated from the plugin's settings JSON Schema (rjsf + antd). Values are checked by
 * the host when saved; a TK_VALIDATION answer is shown at the field its JSON path names (`errorPrefix` is
 * the part of the path before the settings, e.g. `/settings`), any other error above the form.
 */
export function SettingsForm(props: {
  schema: RJSFSchema;
  value: Record<string, unknown>;
  errorPrefix: string;
  submitText: string;
  onSave: (value: Record<string, unknown>) => Promise<void>;
  idPrefix: string;
  /** Shown as a second button: runs the form's values through `onPreview` (errors shown as a save's are). */
  onPreview?: (value: Record<string, unknown>) => Promise<void>;
  previewText?: string;
}) {
  const { t } = useTranslation();
  // Rule fields are held as their JSON text (rule-form.ts): rjsf would merge a rule with its default.
  const form = useMemo(() => ruleForm(props.schema), [props.schema]);
  const [value, setValue] = useState(() => toFormValue(props.schema, props.value) as Record<string, unknown>);
  const [fieldErrors, setFieldErrors] = useState<ErrorSchema>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  /** Saves or previews: a TK_VALIDATION answer goes to its field, any other error above the form. */
  const run = async (action: (value: Record<string, unknown>) => Promise<void>, formData: Record<string, unknown>) => {
    setError(undefined);
    setFieldErrors(undefined);
    const parsed = fromFormValue(props.schema, formData);
    if (parsed.problems.length > 0) {
      setFieldErrors(errorSchemaAt(parsed.problems.map((problem) => ({ path: `${props.errorPrefix}${problem.path}`, message: t('rules.notJson') })), props.errorPrefix));
      return;
    }
    setBusy(true);
    try {
      await action(parsed.value as Record<string, unknown>);
    } catch (caught) {
      const atField = caught instanceof ApiError && caught.code === 'TK_VALIDATION' ? foldRuleErrors(props.schema, errorSchemaOf(caught, props.errorPrefix)) : undefined;
      if (atField) setFieldErrors(atField);
      else setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <ErrorAlert error={error} />
      <Form
        schema={form.schema}
        {...(form.uiSchema ? { uiSchema: form.uiSchema } : {})}
        widgets={WIDGETS}
        formData={value}
        validator={serverSideValidator}
        noHtml5Validate
        showErrorList={false}
        idPrefix={props.idPrefix}
        {...(fieldErrors ? { extraErrors: fieldErrors } : {})}
        onChange={(event) => setValue(event.formData as Record<string, unknown>)}
        onSubmit={(event) => void run(props.onSave, event.formData as Record<string, unknown>)}
      >
        <Space>
          <Button type="primary" htmlType="submit" disabled={busy}>
            {busy ? t('common.loading') : props.submitText}
          </Button>
          {props.onPreview ? (
            <Button disabled={busy} onClick={() => void run(props.onPreview!, value)}>
              {props.previewText}
            </Button>
          ) : null}
        </Space>
      </Form>
    </>
  );
}
