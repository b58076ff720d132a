import { Alert } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError } from './api';

/** A TK_* error as the API said it: code, message and what to do. */
export function ErrorAlert({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  const tk = error instanceof ApiError ? error : new ApiError(0, { code: 'TK_INTERNAL', message: String(error), hint: '' });
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      title={`${tk.code}: ${tk.message}`}
      description={tk.hint ? `${t('error.hint')}: ${tk.hint}` : undefined}
      style={{ marginBottom: 16 }}
    />
  );
}
