import { Button, Form, Input, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';

/** Finds a member by their opaque ID or an order by the merchant's order ID. */
export function MemberLookup() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [memberId, setMemberId] = useState('');
  const [orderId, setOrderId] = useState('');
  return (
    <Space direction="vertical" size="large">
      <Typography.Title level={2}>{t('domain.lookupTitle')}</Typography.Title>
      <Typography.Paragraph>{t('domain.lookupHint')}</Typography.Paragraph>
      <Form layout="inline" onFinish={() => memberId.trim() && void navigate(`/merchant/members/${encodeURIComponent(memberId.trim())}`)}>
        <Form.Item label={t('domain.memberId')} htmlFor="lookup-member">
          <Input id="lookup-member" value={memberId} onChange={(e) => setMemberId(e.target.value)} placeholder="mem_…" style={{ width: 280 }} />
        </Form.Item>
        <Button htmlType="submit">{t('domain.openMember')}</Button>
      </Form>
      <Form layout="inline" onFinish={() => orderId.trim() && void navigate(`/merchant/orders/${encodeURIComponent(orderId.trim())}`)}>
        <Form.Item label={t('domain.orderId')} htmlFor="lookup-order">
          <Input id="lookup-order" value={orderId} onChange={(e) => setOrderId(e.target.value)} style={{ width: 280 }} />
        </Form.Item>
        <Button htmlType="submit">{t('domain.openOrder')}</Button>
      </Form>
    </Space>
  );
}
