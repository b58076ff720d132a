import { Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { LogEntry } from '@tongkit/host';
import { api } from '../api';

// Pieces the role pages share (kept out of the sign-in page's chunk: Table is large).

/** Loads `path` from the API; `reload()` fetches again. */
export function useApi<T>(path: string | undefined): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (path === undefined) return;
    let live = true;
    setState((previous) => ({ ...previous, loading: true }));
    api<T>('GET', path).then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error: unknown) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [path, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}

/** A review status or install status as a coloured tag. */
export function StatusTag({ status }: { status: string }) {
  const { t } = useTranslation();
  const color = { approved: 'green', active: 'green', submitted: 'blue', rejected: 'red', disabled: 'default', draft: 'default' }[status] ?? 'default';
  return <Tag color={color}>{t(`status.${status}`, { defaultValue: status })}</Tag>;
}

/** Invocations (with fallbacks and failures) and plugin logs, newest first. */
export function LogsTable({ items }: { items: LogEntry[] }) {
  const { t } = useTranslation();
  return (
    <Table<LogEntry>
      size="small"
      rowKey="cursor"
      dataSource={items}
      locale={{ emptyText: t('logs.empty') }}
      pagination={{ pageSize: 20, hideOnSinglePage: true }}
      columns={[
        { title: t('common.at'), dataIndex: 'at', render: (at: string) => new Date(at).toLocaleString() },
        { title: t('logs.merchant'), dataIndex: 'merchantId' },
        { title: t('common.plugin'), dataIndex: 'plugin' },
        { title: t('logs.kind'), dataIndex: 'kind' },
        {
          title: t('logs.level'),
          dataIndex: 'level',
          render: (level: string, entry) => (
            <>
              <Tag color={level === 'error' ? 'red' : level === 'warn' ? 'orange' : 'default'}>{level}</Tag>
              {entry.fallback ? <Tag color="orange">{t('merchant.fallback')}</Tag> : null}
            </>
          ),
        },
        { title: t('logs.message'), dataIndex: 'message', render: (message: string) => <Typography.Text>{message}</Typography.Text> },
      ]}
    />
  );
}
