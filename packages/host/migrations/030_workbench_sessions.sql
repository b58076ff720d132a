-- Workbench sessions: a person signs in to the web workbench with a bearer token (or, on a development
-- host, as one of its bootstrap identities) and gets a session cookie instead of keeping the token in the
-- browser. A session stands for the token it was opened with: revoking the token ends its sessions too.
--
-- Only the sha256 of the session secret is stored (like api_tokens): a leaked table opens no session.
-- The CSRF token is derived from the secret (HMAC), so it needs no column and dies with the session.
CREATE TABLE workbench_sessions (
  secret_hash text PRIMARY KEY CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  token_hash text NOT NULL REFERENCES api_tokens (token_hash),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Absolute expiry: a session never outlives it, however active.
  expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
  -- Set on sign-out.
  ended_at timestamptz CHECK (ended_at >= created_at)
);

-- "The sessions of this token", to end them with it.
CREATE INDEX workbench_sessions_token_idx ON workbench_sessions (token_hash);
