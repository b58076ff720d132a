import { Card, Descriptions, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import type { LedgerPage, MemberPointsView as MemberPoints, TierHistoryPage } from '@tongkit/host';

type LedgerEntry = LedgerPage['items'][number];
import type { Member, Order } from '@tongkit/sdk';
import { ErrorAlert } from '../../components';
import { useApi } from '../shared';
import { yuan } from './fen';
import { LedgerTable } from './LedgerTable';

/** One member: binding, balances (points and growth), open holds, debt, the ledger and their orders. No personal data. */
export function MemberPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const path = `/v1/members/${encodeURIComponent(id)}`;
  const member = useApi<Member>(path);
  const points = useApi<MemberPoints>(member.data ? `${path}/points` : undefined);
  const ledger = useApi<{ items: LedgerEntry[] }>(member.data ? `${path}/ledger?limit=200` : undefined);
  const orders = useApi<{ items: Order[] }>(member.data ? `${path}/orders` : undefined);
  const tierHistory = useApi<TierHistoryPage>(member.data ? `${path}/tier-history?limit=200` : undefined);
  const m = member.data;
  if (!m) return <><ErrorAlert error={member.error} />{member.loading ? t('common.loading') : null}</>;
  const p = points.data;
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Typography.Title level={2}>
        {t('domain.member')} <code data-testid="member-id">{m.id}</code> <Tag color={m.status === 'active' ? 'green' : 'default'}>{m.status}</Tag>
      </Typography.Title>
      <ErrorAlert error={points.error ?? ledger.error ?? orders.error ?? tierHistory.error} />
      <Descriptions size="small" column={2} bordered>
        <Descriptions.Item label={t('domain.tier')}>
          <span data-testid="member-tier">{m.tier ? `${m.tier.name} (${m.tier.tierId})` : t('domain.noLadder')}</span>
          {m.tier?.expiresAt ? <Tag style={{ marginLeft: 8 }}>{t('domain.until', { at: new Date(m.tier.expiresAt).toLocaleDateString() })}</Tag> : null}
        </Descriptions.Item>
        <Descriptions.Item label={t('domain.channel')}>{m.channel}{m.storeId ? ` · ${m.storeId}` : ''}</Descriptions.Item>
        <Descriptions.Item label={t('domain.registeredAt')}>{new Date(m.registeredAt).toLocaleString()}</Descriptions.Item>
        <Descriptions.Item label={t('domain.binding')}>{m.binding ? `${m.binding.crmMemberId} (${m.binding.consentVersion})` : t('domain.notBound')}</Descriptions.Item>
        <Descriptions.Item label={t('domain.hasPhone')}>{m.hasPhone ? t('domain.yes') : t('domain.no')}</Descriptions.Item>
        <Descriptions.Item label={t('domain.points')}>
          <span data-testid="points-balance">{p?.points.balance ?? '…'}</span>
          {p && p.points.held > 0 ? <Tag style={{ marginLeft: 8 }}>{t('domain.held', { n: p.points.held })}</Tag> : null}
          {p && p.points.debt > 0 ? <Tag color="red" style={{ marginLeft: 8 }}>{t('domain.debt', { n: p.points.debt })}</Tag> : null}
        </Descriptions.Item>
        <Descriptions.Item label={t('domain.growth')}>{p?.growth.balance ?? '…'}</Descriptions.Item>
      </Descriptions>
      {p && p.holds.length > 0 ? (
        <Card size="small" title={t('domain.holds')}>
          <Table size="small" rowKey="holdId" pagination={false} dataSource={p.holds} columns={[
            { title: 'hold', dataIndex: 'holdId' },
            { title: t('domain.amount'), dataIndex: 'amount' },
            { title: t('domain.expiresAt'), dataIndex: 'expiresAt', render: (at: string) => new Date(at).toLocaleString() },
            { title: t('domain.reason'), dataIndex: 'reason' },
          ]} />
        </Card>
      ) : null}
      <Card size="small" title={t('domain.orders')}>
        <Table<Order> size="small" rowKey="id" pagination={false} loading={orders.loading} dataSource={orders.data?.items ?? []} locale={{ emptyText: t('domain.ordersEmpty') }} columns={[
          { title: t('domain.orderId'), dataIndex: 'id', render: (o: string) => <Link to={`/merchant/orders/${encodeURIComponent(o)}`}>{o}</Link> },
          { title: t('domain.paidAt'), dataIndex: 'paidAt', render: (at: string) => new Date(at).toLocaleString() },
          { title: t('domain.channel'), dataIndex: 'channel' },
          { title: t('domain.total'), dataIndex: 'totalFen', render: yuan },
          { title: t('domain.refunded'), dataIndex: 'refundedFen', render: yuan },
          { title: t('common.status'), dataIndex: 'status', render: (s: string) => <Tag>{s}</Tag> },
        ]} />
      </Card>
      <Card size="small" title={t('domain.tierHistory')}>
        <Table size="small" rowKey="id" pagination={false} loading={tierHistory.loading} dataSource={tierHistory.data?.items ?? []} locale={{ emptyText: t('domain.tierHistoryEmpty') }} columns={[
          { title: t('common.at'), dataIndex: 'changedAt', render: (at: string) => new Date(at).toLocaleString() },
          { title: t('domain.tierChange'), render: (_: unknown, c: TierHistoryPage['items'][number]) => `${c.fromTierId ?? '—'} → ${c.toTierId}` },
          { title: t('domain.reason'), dataIndex: 'reason' },
          { title: t('domain.source'), render: (_: unknown, c: TierHistoryPage['items'][number]) => (c.installId ? `${c.installId}@${c.version ?? ''}` : t('domain.platform')) },
          { title: 'invocation', dataIndex: 'invocationId', render: (id: string) => <code>{id}</code> },
        ]} />
      </Card>
      <Card size="small" title={t('domain.ledger')}>
        <LedgerTable items={ledger.data?.items ?? []} loading={ledger.loading} />
      </Card>
    </Space>
  );
}
