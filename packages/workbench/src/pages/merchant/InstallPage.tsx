import { App, Button, Card, Descriptions, Select, Space, Switch, Table, Tabs, Tag, Typography } from 'antd';
import type { RJSFSchema } from '@rjsf/utils';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import type { Install, LogEntry, VersionDetail } from '@tongkit/host';

/** A version as GET /v1/installs/:id/versions lists it. */
interface VersionSummary {
  plugin: string;
  version: string;
  status: string;
  permissions: string[];
}
import { api, withQuery } from '../../api';
import { ErrorAlert } from '../../components';
import { LogsTable, StatusTag, useApi } from '../shared';
import { ConsentModal } from './ConsentModal';
import { ImpactPreview, type SettingsImpact } from './ImpactPreview';
import { SettingsForm } from './SettingsForm';

interface Breaker {
  point: string;
  status: 'closed' | 'open' | 'half_open';
  calls: number;
  errors: number;
  openedAt: string | null;
}

/** One install: settings form, per-store overrides as a diff, versions with rollback, logs and breakers. */
export function InstallPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const install = useApi<Install>(`/v1/installs/${encodeURIComponent(id)}`);
  const i = install.data;
  const detail = useApi<VersionDetail>(i ? `/v1/plugins/${encodeURIComponent(i.plugin)}/versions/${encodeURIComponent(i.version)}` : undefined);
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>();
  const [impact, setImpact] = useState<SettingsImpact>();

  if (!i) return <><ErrorAlert error={install.error} />{install.loading ? t('common.loading') : null}</>;
  const schema = (detail.data?.manifest.settings ?? { type: 'object' }) as RJSFSchema;
  const act = async (call: Promise<unknown>, done?: string) => {
    setError(undefined);
    try {
      await call;
      if (done) void message.success(done);
      install.reload();
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Typography.Title level={2}>
        {i.plugin} <Tag data-testid="install-version">{i.version}</Tag> <StatusTag status={i.status} />
      </Typography.Title>
      <ErrorAlert error={error} />
      <Descriptions size="small" column={1}>
        <Descriptions.Item label={t('merchant.points')}>
          <Space wrap>
            {(detail.data?.manifest.extensions ?? i.enabledPoints).map((point) => (
              <Space key={point} size={4}>
                <Switch
                  size="small"
                  checked={i.enabledPoints.includes(point)}
                  aria-label={t('merchant.pointSwitch', { point })}
                  onChange={(enabled) => void act(api('PUT', `/v1/installs/${i.id}/points/${encodeURIComponent(point)}`, { enabled }))}
                />
                <code>{point}</code>
              </Space>
            ))}
          </Space>
        </Descriptions.Item>
        <Descriptions.Item label={t('review.permissions')}>{i.grantedPermissions.map((p) => <Tag key={p}>{p}</Tag>)}</Descriptions.Item>
      </Descriptions>
      <Space>
        {i.status === 'active' ? (
          <Button onClick={() => void act(api('POST', `/v1/installs/${i.id}/disable`))}>{t('merchant.disable')}</Button>
        ) : (
          <Button type="primary" onClick={() => void act(api('POST', `/v1/installs/${i.id}/enable`))}>{t('merchant.enable')}</Button>
        )}
      </Space>
      <Tabs
        items={[
          {
            key: 'settings',
            label: t('merchant.settings'),
            children: detail.data ? (
              <>
              <SettingsForm
                key={`${i.version}:${i.updatedAt}`}
                idPrefix="settings"
                schema={schema}
                value={i.settings}
                errorPrefix="/settings"
                submitText={t('common.save')}
                previewText={t('impact.preview')}
                onPreview={async (settings) => {
                  setImpact(undefined);
                  setImpact(await api<SettingsImpact>('POST', `/v1/installs/${i.id}/settings/preview`, { settings }));
                }}
                onSave={async (settings) => {
                  await api('PUT', `/v1/installs/${i.id}/settings`, settings);
                  setImpact(undefined);
                  void message.success(t('merchant.settingsSaved'));
                  install.reload();
                }}
              />
              {impact ? <ImpactPreview impact={impact} /> : null}
              </>
            ) : (
              <ErrorAlert error={detail.error} />
            ),
          },
          { key: 'stores', label: t('merchant.overrides'), children: detail.data ? <StoreOverrides install={i} schema={schema} onChanged={install.reload} /> : null },
          { key: 'versions', label: t('merchant.versions'), children: <Versions install={i} onChanged={install.reload} /> },
          { key: 'logs', label: t('merchant.logs'), children: <InstallLogs install={i} /> },
        ]}
      />
    </Space>
  );
}

/** Per-store overrides: the store's effective settings in the form, saved as a merge patch of what differs from the brand's. */
function StoreOverrides({ install, schema, onChanged }: { install: Install; schema: RJSFSchema; onChanged: () => void }) {
  const { t } = useTranslation();
  const stores = useApi<{ items: Array<{ id: string; name: string }> }>('/v1/stores');
  const [storeId, setStoreId] = useState<string>();
  const store = storeId ?? stores.data?.items[0]?.id;
  const effective = useApi<Record<string, unknown>>(store ? withQuery(`/v1/installs/${install.id}/settings`, { storeId: store, v: install.updatedAt }) : undefined);
  const brand = install.settings;
  const patch = store ? ((install.storeOverrides[store] ?? null) as Record<string, unknown> | null) : null;
  const keys = [...new Set([...Object.keys(brand), ...Object.keys(effective.data ?? {})])];
  const differing = keys.filter((key) => JSON.stringify(brand[key]) !== JSON.stringify(effective.data?.[key]));
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <ErrorAlert error={stores.error ?? effective.error} />
      <Space>
        <label htmlFor="override-store">{t('merchant.store')}</label>
        <Select id="override-store" style={{ minWidth: 220 }} value={store} onChange={setStoreId} options={(stores.data?.items ?? []).map((s) => ({ value: s.id, label: `${s.name} (${s.id})` }))} />
      </Space>
      {store && effective.data ? (
        <>
          <Card title={t('merchant.diffTitle', { store })} size="small" data-testid="override-diff">
            {differing.length === 0 ? (
              t('merchant.noDifference')
            ) : (
              <Table
                size="small"
                pagination={false}
                rowKey="key"
                dataSource={differing.map((key) => ({ key, brand: JSON.stringify(brand[key]), store: JSON.stringify(effective.data?.[key]) }))}
                columns={[
                  { title: 'key', dataIndex: 'key', render: (key: string) => <code>{key}</code> },
                  { title: t('merchant.brandValue'), dataIndex: 'brand', render: (v: string) => <del>{v}</del> },
                  { title: t('merchant.storeValue'), dataIndex: 'store', render: (v: string) => <ins>{v}</ins> },
                ]}
              />
            )}
          </Card>
          <SettingsForm
            key={`${store}:${install.updatedAt}:${JSON.stringify(patch)}`}
            idPrefix="store-settings"
            schema={schema}
            value={effective.data}
            errorPrefix={`/storeOverrides/${store}`}
            submitText={t('merchant.saveOverride')}
            onSave={async (value) => {
              // The override is what differs from the brand's settings: a JSON Merge Patch over them.
              const changed = Object.fromEntries(Object.entries(value).filter(([key, v]) => JSON.stringify(brand[key]) !== JSON.stringify(v)));
              await api('PUT', `/v1/installs/${install.id}/stores/${encodeURIComponent(store)}/settings`, Object.keys(changed).length > 0 ? changed : null);
              effective.reload();
              onChanged();
            }}
          />
          {patch ? (
            <Button onClick={() => void api('PUT', `/v1/installs/${install.id}/stores/${encodeURIComponent(store)}/settings`, null).then(() => { effective.reload(); onChanged(); })}>{t('merchant.removeOverride')}</Button>
          ) : null}
        </>
      ) : null}
    </Space>
  );
}

/** The plugin's versions the merchant may run: move to one (re-consent when it asks for more), roll back. */
function Versions({ install, onChanged }: { install: Install; onChanged: () => void }) {
  const { t } = useTranslation();
  const versions = useApi<{ items: VersionSummary[] }>(withQuery(`/v1/installs/${install.id}/versions`, { v: install.updatedAt }));
  const [consent, setConsent] = useState<{ version: string; ask: string[] }>();
  const [error, setError] = useState<unknown>();
  const run = (call: Promise<unknown>) => {
    setError(undefined);
    call.then(onChanged, setError);
  };
  const upgrade = (v: VersionSummary) => {
    const ask = v.permissions.filter((p) => !install.grantedPermissions.includes(p as never));
    if (ask.length > 0) setConsent({ version: v.version, ask });
    else run(api('POST', `/v1/installs/${install.id}/upgrade`, { version: v.version }));
  };
  return (
    <>
      <ErrorAlert error={error ?? versions.error} />
      {install.previousVersion ? (
        <Button style={{ marginBottom: 12 }} onClick={() => run(api('POST', `/v1/installs/${install.id}/rollback`))}>
          {t('merchant.rollback', { version: install.previousVersion })}
        </Button>
      ) : null}
      <Table<VersionSummary>
        size="small"
        rowKey="version"
        pagination={false}
        dataSource={versions.data?.items ?? []}
        columns={[
          {
            title: t('common.version'),
            dataIndex: 'version',
            render: (version: string) => (
              <>
                {version} {version === install.version ? <Tag color="green">{t('merchant.current')}</Tag> : null}
                {version === install.previousVersion ? <Tag>{t('merchant.previous')}</Tag> : null}
              </>
            ),
          },
          { title: t('common.status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
          { title: t('review.permissions'), dataIndex: 'permissions', render: (ps: string[]) => ps.map((p) => <Tag key={p}>{p}</Tag>) },
          {
            title: t('common.actions'),
            render: (_: unknown, v) =>
              v.version !== install.version && v.status === 'approved' ? (
                <Button size="small" onClick={() => upgrade(v)} aria-label={`${t('merchant.upgrade')} ${v.version}`}>
                  {t('merchant.upgrade')}
                </Button>
              ) : null,
          },
        ]}
      />
      {consent ? (
        <ConsentModal
          plugin={install.plugin}
          version={consent.version}
          ask={consent.ask}
          title={t('merchant.reconsent', { version: consent.version })}
          onCancel={() => setConsent(undefined)}
          onConsent={async () => {
            await api('POST', `/v1/installs/${install.id}/upgrade`, { version: consent.version, consent: consent.ask });
            setConsent(undefined);
            onChanged();
          }}
        />
      ) : null}
    </>
  );
}

/** The install's circuit breakers and its invocations, fallbacks and plugin logs. */
function InstallLogs({ install }: { install: Install }) {
  const { t } = useTranslation();
  const breakers = useApi<{ items: Breaker[] }>(`/v1/installs/${install.id}/breakers`);
  const logs = useApi<{ items: LogEntry[] }>(withQuery('/v1/logs', { plugin: install.plugin, limit: 200 }));
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <ErrorAlert error={breakers.error ?? logs.error} />
      <Card size="small" title={t('merchant.breaker')}>
        {(breakers.data?.items ?? []).map((b) => (
          <div key={b.point}>
            <code>{b.point}</code>{' '}
            {b.status === 'open' ? (
              <Tag color="red">{t('merchant.breakerOpen', { errors: b.errors, calls: b.calls, at: b.openedAt ? new Date(b.openedAt).toLocaleString() : '' })}</Tag>
            ) : (
              <Tag color={b.status === 'closed' ? 'green' : 'orange'}>{b.status === 'closed' ? t('merchant.breakerClosed') : t('merchant.breakerHalfOpen')}</Tag>
            )}
          </div>
        ))}
      </Card>
      <LogsTable items={(logs.data?.items ?? []).filter((entry) => entry.installId === install.id || entry.installId === null)} />
    </Space>
  );
}
