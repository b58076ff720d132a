-- Events: a transactional outbox, one delivery per (event, install) with attempts, backoff and dead
-- letter; plugin KV storage and the idempotency keys of host calls; plugin logs.

CREATE TABLE events (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants (id),
  type text NOT NULL,
  data jsonb NOT NULL,
  -- How many plugin-caused events led here; a loop (grant → points.changed → grant …) stops at a limit.
  causation_depth integer NOT NULL DEFAULT 0 CHECK (causation_depth >= 0),
  caused_by_install text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_merchant_idx ON events (merchant_id, created_at DESC);

CREATE TABLE deliveries (
  event_id text NOT NULL REFERENCES events (id),
  install_id text NOT NULL REFERENCES installs (id) ON DELETE CASCADE,
  merchant_id text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  done_at timestamptz,
  PRIMARY KEY (event_id, install_id)
);
-- What workers claim: pending deliveries that are due, oldest first.
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_dead_idx ON deliveries (merchant_id) WHERE status = 'dead';

CREATE TABLE plugin_kv (
  install_id text NOT NULL REFERENCES installs (id) ON DELETE CASCADE,
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 256),
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (install_id, key)
);

-- Idempotency keys of mutating host calls, scoped to (install, key): a redelivered event changes
-- nothing twice; the same key with another payload is TK_CONFLICT.
CREATE TABLE idempotency_keys (
  install_id text NOT NULL REFERENCES installs (id) ON DELETE CASCADE,
  key text NOT NULL,
  request_hash text NOT NULL,
  result jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (install_id, key)
);

CREATE TABLE plugin_logs (
  id bigserial PRIMARY KEY,
  merchant_id text NOT NULL,
  install_id text,
  plugin_name text,
  level text NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
  message text NOT NULL,
  data jsonb,
  source text NOT NULL CHECK (source IN ('plugin', 'host')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plugin_logs_merchant_idx ON plugin_logs (merchant_id, id DESC);
CREATE INDEX plugin_logs_plugin_idx ON plugin_logs (plugin_name, id DESC);
