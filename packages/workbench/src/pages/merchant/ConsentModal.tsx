import { Checkbox, List, Modal, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { VersionDetail } from '@tongkit/host';
import { ErrorAlert } from '../../components';
import { useApi } from '../shared';

/**
 * The permission consent screen: each permission the version asks for (only `ask` when given: the new
 * ones of an upgrade) with the consent text the platform wrote for it. Nothing is granted until the
 * operator ticks the box.
 */
export function ConsentModal(props: { plugin: string; version: string; ask?: string[]; title: string; onConsent: (permissions: string[]) => Promise<void>; onCancel: () => void }) {
  const { t } = useTranslation();
  const detail = useApi<VersionDetail>(`/v1/plugins/${encodeURIComponent(props.plugin)}/versions/${encodeURIComponent(props.version)}`);
  const [agreed, setAgreed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const findings = (detail.data?.report.permissions ?? []).filter((p) => !props.ask || props.ask.includes(p.permission));
  return (
    <Modal
      open
      title={props.title}
      okText={t('merchant.install')}
      cancelText={t('common.cancel')}
      okButtonProps={{ disabled: !agreed || !detail.data, loading: busy }}
      onCancel={props.onCancel}
      onOk={async () => {
        setBusy(true);
        setError(undefined);
        try {
          await props.onConsent(detail.data?.permissions ?? []);
        } catch (caught) {
          setError(caught);
        } finally {
          setBusy(false);
        }
      }}
    >
      <ErrorAlert error={detail.error ?? error} />
      <Typography.Paragraph>{t('merchant.consentIntro')}</Typography.Paragraph>
      <List
        bordered
        dataSource={findings}
        renderItem={(finding) => (
          <List.Item>
            <List.Item.Meta title={<code>{finding.permission}</code>} description={finding.consent} />
          </List.Item>
        )}
      />
      <Checkbox checked={agreed} onChange={(e) => setAgreed(e.target.checked)} style={{ marginTop: 16 }}>
        {t('merchant.consentAgree')}
      </Checkbox>
    </Modal>
  );
}
