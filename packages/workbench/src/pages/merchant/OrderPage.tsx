import { Card, Descriptions, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import type { LedgerPage } from '@tongkit/host';

type LedgerEntry = LedgerPage['items'][number];
import type { Order } from '@tongkit/sdk';
import { ErrorAlert } from '../../components';
import { useApi } from '../shared';
import { yuan } from './fen';
import { LedgerTable } from './LedgerTable';

type Line = Order['lines'][number];
type Tender = Order['tenders'][number];
type Refund = Order['refunds'][number];

/**
 * One order: lines, tenders (what counted as spend), refunds with their split per tender, and what each
 * install decided for it — the member's ledger entries of this order, by source.
 */
export function OrderPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const order = useApi<Order>(`/v1/orders/${encodeURIComponent(id)}`);
  const o = order.data;
  const ledger = useApi<{ items: LedgerEntry[] }>(o?.memberId ? `/v1/members/${encodeURIComponent(o.memberId)}/ledger?limit=200&orderId=${encodeURIComponent(o.id)}` : undefined);
  if (!o) return <><ErrorAlert error={order.error} />{order.loading ? t('common.loading') : null}</>;
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Typography.Title level={2}>
        {t('domain.order')} <code>{o.id}</code> <Tag data-testid="order-status">{o.status}</Tag>
      </Typography.Title>
      <ErrorAlert error={ledger.error} />
      <Descriptions size="small" column={2} bordered>
        <Descriptions.Item label={t('domain.kind')}>{o.kind}</Descriptions.Item>
        <Descriptions.Item label={t('domain.channel')}>{o.channel}{o.storeId ? ` · ${o.storeId}` : ''}</Descriptions.Item>
        <Descriptions.Item label={t('domain.member')}>{o.memberId ? <Link to={`/merchant/members/${encodeURIComponent(o.memberId)}`}>{o.memberId}</Link> : t('domain.guest')}</Descriptions.Item>
        <Descriptions.Item label={t('domain.paidAt')}>{new Date(o.paidAt).toLocaleString()} ({o.paidOn})</Descriptions.Item>
        <Descriptions.Item label={t('domain.total')}>{yuan(o.totalFen)}</Descriptions.Item>
        <Descriptions.Item label={t('domain.spend')}><span data-testid="order-spend">{yuan(o.spendFen)}</span></Descriptions.Item>
        <Descriptions.Item label={t('domain.refunded')}>{yuan(o.refundedFen)}</Descriptions.Item>
        <Descriptions.Item label={t('domain.guide')}>{o.guideId ?? '—'}</Descriptions.Item>
      </Descriptions>
      <Card size="small" title={t('domain.lines')}>
        <Table<Line> size="small" rowKey="lineNo" pagination={false} dataSource={o.lines} columns={[
          { title: 'SKU', dataIndex: 'sku' },
          { title: t('domain.title'), dataIndex: 'title' },
          { title: t('domain.category'), dataIndex: 'category' },
          { title: t('domain.quantity'), dataIndex: 'quantity' },
          { title: t('domain.net'), dataIndex: 'netFen', render: yuan },
          { title: t('domain.refunded'), dataIndex: 'refundedFen', render: yuan },
        ]} />
      </Card>
      <Card size="small" title={t('domain.tenders')}>
        <Table<Tender> size="small" rowKey="tenderNo" pagination={false} dataSource={o.tenders} columns={[
          { title: t('domain.method'), dataIndex: 'method', render: (m: string) => <Tag color={m === 'cash' || m === 'card' ? 'green' : 'default'}>{m}</Tag> },
          { title: t('domain.amount'), dataIndex: 'amountFen', render: yuan },
          { title: t('domain.refunded'), dataIndex: 'refundedFen', render: yuan },
        ]} />
      </Card>
      <Card size="small" title={t('domain.refunds')}>
        <Table<Refund> size="small" rowKey="id" pagination={false} dataSource={o.refunds} locale={{ emptyText: t('domain.refundsEmpty') }} columns={[
          { title: 'ID', dataIndex: 'id' },
          { title: t('domain.refundedAt'), dataIndex: 'refundedAt', render: (at: string) => new Date(at).toLocaleString() },
          { title: t('domain.amount'), dataIndex: 'amountFen', render: yuan },
          { title: t('domain.perTender'), dataIndex: 'tenders', render: (shares: Refund['tenders']) => shares.map((s) => <Tag key={s.tenderNo}>{`#${s.tenderNo} ${yuan(s.amountFen)}`}</Tag>) },
          { title: t('domain.reason'), dataIndex: 'reason', render: (r: string | null) => r ?? '—' },
        ]} />
      </Card>
      <Card size="small" title={t('domain.decisions')} data-testid="order-decisions">
        {o.memberId ? <LedgerTable items={ledger.data?.items ?? []} loading={ledger.loading} /> : t('domain.guestNoPoints')}
      </Card>
    </Space>
  );
}
