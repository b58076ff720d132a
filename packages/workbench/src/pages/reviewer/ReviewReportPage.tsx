import { App, Button, Card, Descriptions, Input, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import type { PermissionFinding, VersionDetail } from '@tongkit/host';
import { api } from '../../api';
import { ErrorAlert } from '../../components';
import { StatusTag, useApi } from '../shared';

/** A version's automated review report as a page, with approve / reject and a comment. */
export function ReviewReportPage() {
  const { t } = useTranslation();
  const { plugin = '', version = '' } = useParams();
  const path = `/v1/plugins/${encodeURIComponent(plugin)}/versions/${encodeURIComponent(version)}`;
  const detail = useApi<VersionDetail>(path);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>();
  const { message } = App.useApp();

  useEffect(() => {
    // Read by the browser test: when the report became interactive (performance.now of this page).
    if (detail.data) (window as unknown as { __tkReportReadyAt?: number }).__tkReportReadyAt = performance.now();
  }, [detail.data]);

  const decide = async (decision: 'approve' | 'reject') => {
    setError(undefined);
    try {
      const decided = await api<{ status: string }>('POST', `${path}/${decision}`, { comment });
      void message.success(t('review.decided', { status: t(`status.${decided.status}`) }));
      detail.reload();
    } catch (caught) {
      setError(caught);
    }
  };

  const v = detail.data;
  if (!v) return <><ErrorAlert error={detail.error} />{detail.loading ? t('common.loading') : null}</>;
  const r = v.report;
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="review-report">
      <Typography.Title level={2}>
        {t('review.reportTitle', { plugin: v.plugin, version: v.version })} <StatusTag status={v.status} />
      </Typography.Title>
      <ErrorAlert error={error} />
      {v.reviewComment ? <Typography.Paragraph>{t('common.comment')}: {v.reviewComment}</Typography.Paragraph> : null}
      <Card title={t('review.checks')}>
        <ul style={{ margin: 0, paddingLeft: 20 }}>
          {r.checks.map((check) => (
            <li key={check.id}>
              <Tag color={check.ok ? 'green' : 'red'}>{check.ok ? '✔' : '✖'}</Tag>
              <Typography.Text strong>{check.id}</Typography.Text> — {check.message}
            </li>
          ))}
        </ul>
      </Card>
      <Card title={t('review.permissions')}>
        <Table<PermissionFinding>
          size="small"
          rowKey="permission"
          pagination={false}
          dataSource={r.permissions}
          columns={[
            { title: t('review.permissions'), dataIndex: 'permission', render: (p: string) => <code>{p}</code> },
            { title: t('review.usage'), dataIndex: 'status', render: (s: string) => <Tag color={s === 'used' ? 'green' : s === 'unused' ? 'orange' : 'blue'}>{s}</Tag> },
            { title: t('review.consentText'), dataIndex: 'consent' },
          ]}
        />
        {r.undeclaredUse.length > 0 ? <Typography.Paragraph type="danger">undeclared: {r.undeclaredUse.join(', ')}</Typography.Paragraph> : null}
      </Card>
      <Card title={`${t('review.bundle')} · ${t('review.fixtures')} · ${t('review.measurements')}`}>
        <Descriptions column={1} size="small">
          <Descriptions.Item label={t('review.bundle')}>{t('review.bundleOf', { bytes: r.bundle.bytes, limit: r.bundle.limitBytes })}</Descriptions.Item>
          <Descriptions.Item label={t('review.fixtures')}>{t('review.fixturesOf', r.fixtures)}</Descriptions.Item>
          <Descriptions.Item label={t('review.measurements')}>
            {t('review.cpu', { cpu: r.headroom.maxCpuMicros, budget: r.headroom.cpuBudgetMicros })}; {t('review.heap', { heap: r.headroom.maxHeapBytes, limit: r.headroom.heapLimitBytes })}
          </Descriptions.Item>
        </Descriptions>
      </Card>
      <Card title={t('review.diff')}>
        {r.diff.against === null ? (
          t('review.diffNone')
        ) : (
          <Descriptions column={1} size="small" title={t('review.diffAgainst', { version: r.diff.against })}>
            {(['permissions', 'points', 'events'] as const).map((kind) => (
              <Descriptions.Item key={kind} label={kind}>
                {r.diff[`${kind}Added`].map((x) => <Tag key={`+${x}`} color="green">+ {x}</Tag>)}
                {r.diff[`${kind}Removed`].map((x) => <Tag key={`-${x}`} color="red">− {x}</Tag>)}
              </Descriptions.Item>
            ))}
            {r.diff.settingsChanged ? <Descriptions.Item label="settings">{t('review.settingsChanged')}</Descriptions.Item> : null}
          </Descriptions>
        )}
      </Card>
      {v.status === 'submitted' ? (
        <Card title={`${t('review.approve')} / ${t('review.reject')}`}>
          <Input.TextArea aria-label={t('common.comment')} placeholder={t('review.commentPlaceholder')} value={comment} onChange={(e) => setComment(e.target.value)} rows={3} maxLength={2000} />
          <Space style={{ marginTop: 12 }}>
            <Button type="primary" onClick={() => void decide('approve')} disabled={!r.passed}>
              {t('review.approve')}
            </Button>
            <Button danger onClick={() => void decide('reject')}>
              {t('review.reject')}
            </Button>
          </Space>
        </Card>
      ) : null}
    </Space>
  );
}
