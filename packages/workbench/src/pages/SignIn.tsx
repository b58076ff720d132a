import { Button, Card, Divider, Form, Input, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router';
import { api } from '../api';
import { ErrorAlert } from '../components';
import { useSession } from '../session';

/** Sign in with a token (exchanged for a session cookie), or — on an embedded host — as a bootstrap identity. */
export function SignIn() {
  const { t } = useTranslation();
  const { session, refresh } = useSession();
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from;
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const signedIn = async (call: Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await call;
      await refresh();
      if (from && from !== '/sign-in') void navigate(from, { replace: true });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card style={{ maxWidth: 480, margin: '48px auto' }}>
      <Typography.Title level={2}>{t('signIn.title')}</Typography.Title>
      <ErrorAlert error={error} />
      <Form layout="vertical" onFinish={(values: { token: string }) => void signedIn(api('POST', '/v1/session', undefined, { authorization: `Bearer ${values.token.trim()}` }))}>
        <Form.Item name="token" label={t('signIn.token')} extra={t('signIn.tokenHelp')} rules={[{ required: true }]}>
          <Input.Password autoComplete="off" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy}>
          {t('signIn.submit')}
        </Button>
      </Form>
      {session?.devSignIn ? (
        <>
          <Divider />
          <Typography.Paragraph>{t('signIn.development')}</Typography.Paragraph>
          <Space wrap>
            {(['merchant', 'reviewer', 'developer'] as const).map((role) => (
              <Button key={role} onClick={() => void signedIn(api('POST', '/v1/session/development', { role }))}>
                {t('signIn.as', { role: t(`roles.${role}`) })}
              </Button>
            ))}
          </Space>
        </>
      ) : null}
    </Card>
  );
}
