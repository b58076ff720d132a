import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, onSignedOut, setCsrfToken, type SessionState } from './api';

interface SessionContextValue {
  session: SessionState | undefined;
  /** Re-reads GET /v1/session (after sign-in or sign-out). */
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionContextValue | undefined>(undefined);

/** The signed-in session (or its absence) for the whole app; a 401 from any call returns to sign-in. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<SessionState>();
  const refresh = useCallback(async () => {
    const next = await api<SessionState>('GET', '/v1/session');
    setCsrfToken(next.signedIn ? next.csrfToken : undefined);
    setSession(next);
  }, []);
  const signOut = useCallback(async () => {
    await api('DELETE', '/v1/session');
    await refresh();
  }, [refresh]);
  useEffect(() => {
    void refresh();
    return onSignedOut(() => void refresh());
  }, [refresh]);
  return <SessionContext.Provider value={{ session, refresh, signOut }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
