import { Button, Card, List, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import type { Install } from '@tongkit/host';
import { api } from '../../api';
import { ErrorAlert } from '../../components';
import { useApi } from '../shared';
import { ConsentModal } from './ConsentModal';

interface CatalogueEntry {
  plugin: string;
  version: string;
  status: string;
  description: string | null;
  permissions: string[];
  points: string[];
  events: string[];
}

/** Approved plugins the merchant's tier may install; install opens the consent screen. */
export function Catalogue() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const catalogue = useApi<{ items: CatalogueEntry[] }>('/v1/catalog');
  const installs = useApi<{ items: Install[] }>('/v1/installs');
  const [installing, setInstalling] = useState<CatalogueEntry>();
  const installed = new Map((installs.data?.items ?? []).map((i) => [i.plugin, i.id]));
  return (
    <>
      <Typography.Title level={2}>{t('merchant.catalogueTitle')}</Typography.Title>
      <ErrorAlert error={catalogue.error ?? installs.error} />
      <List
        grid={{ gutter: 16, column: 2 }}
        loading={catalogue.loading}
        locale={{ emptyText: t('merchant.catalogueEmpty') }}
        dataSource={catalogue.data?.items ?? []}
        renderItem={(entry) => (
          <List.Item>
            <Card
              title={
                <>
                  {entry.plugin} <Tag>{entry.version}</Tag>
                </>
              }
              extra={
                installed.has(entry.plugin) ? (
                  <Button onClick={() => void navigate(`/merchant/installs/${installed.get(entry.plugin)}`)}>{t('merchant.installed')}</Button>
                ) : (
                  <Button type="primary" onClick={() => setInstalling(entry)} aria-label={`${t('merchant.install')} ${entry.plugin}`}>
                    {t('merchant.install')}
                  </Button>
                )
              }
            >
              <Typography.Paragraph>{entry.description}</Typography.Paragraph>
              {entry.points.map((p) => <Tag key={p} color="blue">{p}</Tag>)}
              {entry.permissions.map((p) => <Tag key={p}>{p}</Tag>)}
            </Card>
          </List.Item>
        )}
      />
      {installing ? (
        <ConsentModal
          plugin={installing.plugin}
          version={installing.version}
          title={t('merchant.consentTitle', { plugin: installing.plugin, version: installing.version })}
          onCancel={() => setInstalling(undefined)}
          onConsent={async (permissions) => {
            const install = await api<Install>('POST', '/v1/installs', { plugin: installing.plugin, version: installing.version, grantPermissions: permissions });
            void navigate(`/merchant/installs/${install.id}`);
          }}
        />
      ) : null}
    </>
  );
}
