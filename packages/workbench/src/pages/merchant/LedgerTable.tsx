import { Table, Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import type { LedgerPage } from '@tongkit/host';

type LedgerEntry = LedgerPage['items'][number];

/** Ledger entries (points and growth), as GET /v1/members/:id/ledger lists them. */
export function LedgerTable({ items, loading }: { items: LedgerEntry[]; loading?: boolean }) {
  const { t } = useTranslation();
  return (
    <Table<LedgerEntry>
      size="small"
      rowKey="entryId"
      loading={loading ?? false}
      dataSource={items}
      locale={{ emptyText: t('domain.ledgerEmpty') }}
      pagination={{ pageSize: 20, hideOnSinglePage: true }}
      columns={[
        { title: t('common.at'), dataIndex: 'createdAt', render: (at: string) => new Date(at).toLocaleString() },
        { title: t('domain.account'), dataIndex: 'account', render: (a: string) => t(`domain.accounts.${a}`, { defaultValue: a }) },
        { title: t('domain.entryKind'), dataIndex: 'kind', render: (k: string) => <Tag>{k}</Tag> },
        { title: t('domain.delta'), dataIndex: 'delta', render: (d: number) => (d > 0 ? `+${d}` : String(d)) },
        { title: t('domain.balanceAfter'), dataIndex: 'balanceAfter' },
        { title: t('domain.source'), dataIndex: 'source', render: (s: LedgerEntry['source']) => `${s.kind}:${s.id}` },
        { title: t('domain.reason'), dataIndex: 'reason' },
        { title: t('domain.orderId'), dataIndex: 'orderId', render: (o: string | null) => o ?? '—' },
      ]}
    />
  );
}
