import { App as AntApp, Button, ConfigProvider, Layout, Menu, Select, Space, Spin, Typography } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, Suspense, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, Route, Routes, useLocation } from 'react-router';
import { setLanguage, type Language } from './i18n';
import { SessionProvider, useSession } from './session';
import { SignIn } from './pages/SignIn';
import { styleNonce } from './style-nonce';

// One chunk per role: the sign-in page loads none of them.
const ReviewerPages = lazy(() => import('./pages/reviewer/ReviewerPages'));
const MerchantPages = lazy(() => import('./pages/merchant/MerchantPages'));
const DeveloperPages = lazy(() => import('./pages/developer/DeveloperPages'));


/**
 * antd's default blue (#1677ff) and its secondary text (45 % black) fall short of WCAG AA contrast on
 * white (4.5:1): a darker blue and 65 % text keep every page free of axe's serious findings. The hover
 * and pressed shades are set too: antd derives a lighter hover (#2e7ae6 from this blue, 4.16:1 under white
 * text), and a pointer resting on a primary button after a click is a state users see.
 */
const THEME = {
  token: {
    colorPrimary: '#0958d9',
    colorPrimaryHover: '#1765dc',
    colorPrimaryActive: '#003eb3',
    colorLink: '#0958d9',
    colorLinkHover: '#1765dc',
    colorLinkActive: '#003eb3',
    colorInfo: '#0958d9',
    colorError: '#cf1322',
    colorErrorHover: '#a8071a',
    colorErrorActive: '#820014',
    colorSuccess: '#237804',
    colorWarning: '#ad4e00',
    colorTextDescription: 'rgba(0, 0, 0, 0.65)',
    colorTextTertiary: 'rgba(0, 0, 0, 0.65)',
    colorTextPlaceholder: 'rgba(0, 0, 0, 0.6)',
    colorTextDisabled: 'rgba(0, 0, 0, 0.6)',
  },
};

const HOME: Record<string, string> = { reviewer: '/review', merchant: '/merchant', developer: '/developer', admin: '/review' };

export function App() {
  const { i18n } = useTranslation();
  return (
    <ConfigProvider locale={i18n.language === 'en' ? enUS : zhCN} {...(styleNonce ? { csp: { nonce: styleNonce } } : {})} theme={THEME} button={{ autoInsertSpace: false }}>
      <AntApp>
        <SessionProvider>
          <Shell />
        </SessionProvider>
      </AntApp>
    </ConfigProvider>
  );
}

function Shell() {
  const { t, i18n } = useTranslation();
  const { session, signOut } = useSession();
  const location = useLocation();
  const nav = useMemo(() => {
    if (!session?.signedIn) return [];
    const items: Array<{ key: string; label: string }> = [];
    if (session.role === 'reviewer' || session.role === 'admin') items.push({ key: '/review', label: t('nav.queue') });
    if (session.role === 'merchant') items.push({ key: '/merchant', label: t('nav.catalogue') }, { key: '/merchant/installs', label: t('nav.installs') }, { key: '/merchant/members', label: t('nav.members') }, { key: '/merchant/logs', label: t('nav.logs') });
    if (session.role === 'developer') items.push({ key: '/developer', label: t('nav.versions') }, { key: '/developer/logs', label: t('nav.logs') });
    return items.map((item) => ({ key: item.key, label: <Link to={item.key}>{item.label}</Link> }));
  }, [session, t]);

  if (!session) return <Spin fullscreen description={t('common.loading')} />;
  const signedIn = session.signedIn;
  const selected = nav.map((n) => n.key).filter((key) => location.pathname === key || location.pathname.startsWith(`${key}/`)).sort((a, b) => b.length - a.length)[0];
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header style={{ display: 'flex', alignItems: 'center', gap: 24, background: '#fff', borderBottom: '1px solid #f0f0f0' }}>
        <Typography.Title level={1} style={{ margin: 0, fontSize: 18, whiteSpace: 'nowrap' }}>
          {t('app.title')}
        </Typography.Title>
        <nav aria-label={t('app.title')} style={{ flex: 1, minWidth: 0 }}>
          {signedIn ? <Menu mode="horizontal" selectedKeys={selected ? [selected] : []} items={nav} style={{ borderBottom: 'none' }} /> : null}
        </nav>
        <Space>
          <Select<Language>
            aria-label={t('app.language')}
            value={i18n.language === 'en' ? 'en' : 'zh-CN'}
            onChange={setLanguage}
            options={[{ value: 'zh-CN', label: '中文' }, { value: 'en', label: 'English' }]}
            style={{ width: 110 }}
          />
          {signedIn ? (
            <>
              <Typography.Text data-testid="signed-in-as">{t('app.signedInAs', { role: t(`roles.${session.role}`), subject: session.subjectId })}</Typography.Text>
              <Button onClick={() => void signOut()}>{t('app.signOut')}</Button>
            </>
          ) : null}
        </Space>
      </Layout.Header>
      <Layout.Content style={{ padding: 24, maxWidth: 1200, width: '100%', margin: '0 auto' }}>
        <main>
          <Suspense fallback={<Spin description={t('common.loading')} />}>
            <Routes>
              <Route path="/sign-in" element={signedIn ? <Navigate to={HOME[session.role] ?? '/'} replace /> : <SignIn />} />
              {!signedIn ? <Route path="*" element={<Navigate to="/sign-in" replace state={{ from: location.pathname }} />} /> : null}
              {signedIn ? <Route path="/review/*" element={<ReviewerPages />} /> : null}
              {signedIn ? <Route path="/merchant/*" element={<MerchantPages />} /> : null}
              {signedIn ? <Route path="/developer/*" element={<DeveloperPages />} /> : null}
              {signedIn ? <Route path="*" element={<Navigate to={HOME[session.role] ?? '/'} replace />} /> : null}
            </Routes>
          </Suspense>
        </main>
      </Layout.Content>
    </Layout>
  );
}
