import { Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { Install } from '@tongkit/host';
import { ErrorAlert } from '../../components';
import { StatusTag, useApi } from '../shared';

/** The merchant's installs. */
export function InstallList() {
  const { t } = useTranslation();
  const installs = useApi<{ items: Install[] }>('/v1/installs');
  return (
    <>
      <Typography.Title level={2}>{t('merchant.installsTitle')}</Typography.Title>
      <ErrorAlert error={installs.error} />
      <Table<Install>
        rowKey="id"
        loading={installs.loading}
        dataSource={installs.data?.items ?? []}
        locale={{ emptyText: t('merchant.installsEmpty') }}
        pagination={false}
        columns={[
          { title: t('common.plugin'), dataIndex: 'plugin', render: (plugin: string, install) => <Link to={`/merchant/installs/${install.id}`}>{plugin}</Link> },
          { title: t('common.version'), dataIndex: 'version' },
          { title: t('common.status'), dataIndex: 'status', render: (status: string) => <StatusTag status={status} /> },
          { title: t('merchant.points'), dataIndex: 'enabledPoints', render: (points: string[]) => points.map((p) => <Tag key={p}>{p}</Tag>) },
        ]}
      />
    </>
  );
}
