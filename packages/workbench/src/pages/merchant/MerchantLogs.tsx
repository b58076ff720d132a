import { Button, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { LogEntry } from '@tongkit/host';
import { ErrorAlert } from '../../components';
import { LogsTable, useApi } from '../shared';

/** Every invocation, fallback and plugin log of the merchant's installs. */
export function MerchantLogs() {
  const { t } = useTranslation();
  const logs = useApi<{ items: LogEntry[] }>('/v1/logs?limit=200');
  return (
    <>
      <Typography.Title level={2}>{t('merchant.logs')}</Typography.Title>
      <ErrorAlert error={logs.error} />
      <Button onClick={logs.reload} style={{ marginBottom: 12 }}>
        {t('common.refresh')}
      </Button>
      <LogsTable items={logs.data?.items ?? []} />
    </>
  );
}
