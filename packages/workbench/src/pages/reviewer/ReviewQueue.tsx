import { Button, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { VersionPage, VersionSummary } from '@tongkit/host';
import { ErrorAlert } from '../../components';
import { StatusTag, useApi } from '../shared';

/** Versions waiting for review, oldest decisions first to come. */
export function ReviewQueue() {
  const { t } = useTranslation();
  const queue = useApi<VersionPage>('/v1/review/queue?limit=200');
  return (
    <>
      <Typography.Title level={2}>{t('review.queueTitle')}</Typography.Title>
      <ErrorAlert error={queue.error} />
      <Button onClick={queue.reload} style={{ marginBottom: 12 }}>
        {t('common.refresh')}
      </Button>
      <Table<VersionSummary>
        rowKey={(v) => `${v.plugin}@${v.version}`}
        loading={queue.loading}
        dataSource={queue.data?.items ?? []}
        locale={{ emptyText: t('review.queueEmpty') }}
        pagination={false}
        columns={[
          { title: t('common.plugin'), dataIndex: 'plugin' },
          { title: t('common.version'), dataIndex: 'version' },
          { title: t('common.status'), dataIndex: 'status', render: (status: string) => <StatusTag status={status} /> },
          { title: t('review.checks'), dataIndex: 'checksPassed', render: (ok: boolean) => <Tag color={ok ? 'green' : 'red'}>{ok ? '✔' : '✖'}</Tag> },
          { title: t('review.permissions'), dataIndex: 'permissions', render: (permissions: string[]) => permissions.map((p) => <Tag key={p}>{p}</Tag>) },
          {
            title: t('common.actions'),
            render: (_: unknown, v) => (
              <Link to={`/review/${encodeURIComponent(v.plugin)}/${encodeURIComponent(v.version)}`} aria-label={`${t('common.open')} ${v.plugin}@${v.version}`}>
                {t('common.open')}
              </Link>
            ),
          },
        ]}
      />
    </>
  );
}
