import { Button, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, Route, Routes } from 'react-router';
import type { LogEntry, VersionPage, VersionSummary } from '@tongkit/host';
import { ErrorAlert } from '../../components';
import { LogsTable, StatusTag, useApi } from '../shared';
import { ReviewReportPage } from '../reviewer/ReviewReportPage';

/** The developer's pages (one lazily loaded chunk): plugins and versions with review state, reports, logs. */
export default function DeveloperPages() {
  return (
    <Routes>
      <Route index element={<MyVersions />} />
      <Route path="versions/:plugin/:version" element={<ReviewReportPage />} />
      <Route path="logs" element={<DeveloperLogs />} />
    </Routes>
  );
}

function MyVersions() {
  const { t } = useTranslation();
  const versions = useApi<VersionPage>('/v1/versions?limit=200');
  return (
    <>
      <Typography.Title level={2}>{t('developer.versionsTitle')}</Typography.Title>
      <ErrorAlert error={versions.error} />
      <Table<VersionSummary>
        rowKey={(v) => `${v.plugin}@${v.version}`}
        loading={versions.loading}
        dataSource={versions.data?.items ?? []}
        locale={{ emptyText: t('developer.versionsEmpty') }}
        pagination={false}
        columns={[
          { title: t('common.plugin'), dataIndex: 'plugin' },
          { title: t('common.version'), dataIndex: 'version' },
          { title: t('common.status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
          { title: t('review.checks'), dataIndex: 'checksPassed', render: (ok: boolean) => <Tag color={ok ? 'green' : 'red'}>{ok ? '✔' : '✖'}</Tag> },
          { title: t('developer.reviewComment'), dataIndex: 'reviewComment' },
          { title: t('common.actions'), render: (_: unknown, v) => <Link to={`/developer/versions/${encodeURIComponent(v.plugin)}/${encodeURIComponent(v.version)}`}>{t('developer.report')}</Link> },
        ]}
      />
    </>
  );
}

function DeveloperLogs() {
  const { t } = useTranslation();
  const logs = useApi<{ items: LogEntry[] }>('/v1/logs?limit=200');
  return (
    <>
      <Typography.Title level={2}>{t('developer.logsTitle')}</Typography.Title>
      <ErrorAlert error={logs.error} />
      <Button onClick={logs.reload} style={{ marginBottom: 12 }}>
        {t('common.refresh')}
      </Button>
      <LogsTable items={logs.data?.items ?? []} />
    </>
  );
}
