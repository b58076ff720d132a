import Form from '@rjsf/antd';
import type { ErrorSchema, RJSFSchema } from '@rjsf/utils';
import { Button, Space } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api';
import { ErrorAlert } from '../../components';
import { errorSchemaOf } from '../../settings-errors';
import { serverSideValidator } from '../../validator';

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
  const [value, setValue] = useState(props.value);
  const [fieldErrors, setFieldErrors] = useState<ErrorSchema>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  /** Saves or previews: a TK_VALIDATION answer goes to its field, any other error above the form. */
  const run = async (action: (value: Record<string, unknown>) => Promise<void>, formData: Record<string, unknown>) => {
    setBusy(true);
    setError(undefined);
    setFieldErrors(undefined);
    try {
      await action(formData);
    } catch (caught) {
      const atField = caught instanceof ApiError && caught.code === 'TK_VALIDATION' ? errorSchemaOf(caught, props.errorPrefix) : undefined;
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
        schema={props.schema}
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
