import { Alert, Card, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';

/** What POST /v1/installs/:id/settings/preview answers. */
export interface SettingsImpact {
  installId: string;
  version: string;
  replayed: number;
  changed: number;
  unchanged: number;
  failed: number;
  skipped: number;
  transitions: Array<{ field: string; from: unknown; to: unknown; count: number }>;
  samples: Array<{ invocationId: string; point: string; storeId: string | null; at: string; before: unknown; after: unknown }>;
  failures: Array<{ invocationId: string; code: string; message: string }>;
}

const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * The settings impact preview: how many of the install's recent decisions the proposed settings would
 * change (replayed by the host in the sandbox), the most frequent changes ("tier: silver → gold × 12")
 * and before/after samples — read before saving.
 */
export function ImpactPreview({ impact }: { impact: SettingsImpact }) {
  const { t } = useTranslation();
  if (impact.replayed === 0) {
    return <Alert type="info" showIcon data-testid="impact-preview" title={t('impact.nothing')} description={t('impact.nothingHint')} style={{ marginTop: 16 }} />;
  }
  return (
    <Card size="small" title={t('impact.title')} data-testid="impact-preview" style={{ marginTop: 16 }}>
      <Typography.Paragraph data-testid="impact-summary">
        {t('impact.summary', { changed: impact.changed, replayed: impact.replayed })}
        {impact.failed > 0 ? ` ${t('impact.failed', { failed: impact.failed })}` : ''}
        {impact.skipped > 0 ? ` ${t('impact.skipped', { skipped: impact.skipped })}` : ''}
      </Typography.Paragraph>
      {impact.transitions.length > 0 ? (
        <ul aria-label={t('impact.transitions')}>
          {impact.transitions.map((change) => (
            <li key={`${change.field}:${shown(change.from)}:${shown(change.to)}`}>
              {change.field ? <code>{change.field}</code> : null} {shown(change.from)} → {shown(change.to)} <Tag>× {change.count}</Tag>
            </li>
          ))}
        </ul>
      ) : null}
      {impact.samples.length > 0 ? (
        <Table
          size="small"
          rowKey="invocationId"
          pagination={false}
          dataSource={impact.samples}
          columns={[
            { title: t('common.at'), dataIndex: 'at', render: (at: string) => new Date(at).toLocaleString() },
            { title: t('logs.point'), dataIndex: 'point' },
            { title: t('merchant.store'), dataIndex: 'storeId', render: (store: string | null) => store ?? '—' },
            { title: t('impact.before'), dataIndex: 'before', render: (v: unknown) => <code>{shown(v)}</code> },
            { title: t('impact.after'), dataIndex: 'after', render: (v: unknown) => <code>{shown(v)}</code> },
          ]}
        />
      ) : null}
      {impact.failures.map((failure) => (
        <Alert key={failure.invocationId} type="warning" showIcon title={`${failure.code}: ${failure.message}`} style={{ marginTop: 8 }} />
      ))}
    </Card>
  );
}
