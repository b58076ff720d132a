-- Installs: a merchant's copy of a plugin, pinned to a version, with settings, granted permissions,
-- enabled points/events and per-store overrides; plus the log of invocations and the circuit breakers.

CREATE TABLE installs (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants (id),
  plugin_name text NOT NULL REFERENCES plugins (name),
  version text NOT NULL,
  -- The version rollback returns to.
  previous_version text,
  -- An upgrade that asks for new permissions waits here for the merchant's consent.
  pending_version text,
  settings jsonb NOT NULL DEFAULT '{}',
  granted_permissions text[] NOT NULL DEFAULT '{}',
  enabled_points text[] NOT NULL DEFAULT '{}',
  enabled_events text[] NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (merchant_id, plugin_name),
  UNIQUE (merchant_id, id),
  FOREIGN KEY (plugin_name, version) REFERENCES plugin_versions (plugin_name, version)
);

-- JSON Merge Patch of the install's settings for one store; the merged result is validated on write.
CREATE TABLE install_store_overrides (
  install_id text NOT NULL,
  merchant_id text NOT NULL,
  store_id text NOT NULL,
  patch jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (install_id, store_id),
  FOREIGN KEY (merchant_id, install_id) REFERENCES installs (merchant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (merchant_id, store_id) REFERENCES stores (merchant_id, id)
);

-- Every extension invocation through the host: outcome, fallback, measurements, and (for replay) the
-- input, kept for a retention period.
CREATE TABLE invocations (
  id text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants (id),
  install_id text,
  plugin_name text,
  version text,
  point text NOT NULL,
  store_id text,
  ok boolean NOT NULL,
  fallback boolean NOT NULL DEFAULT false,
  error_code text,
  error_message text,
  input jsonb,
  output jsonb,
  measurements jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invocations_merchant_idx ON invocations (merchant_id, created_at DESC);
CREATE INDEX invocations_plugin_idx ON invocations (plugin_name, created_at DESC);

-- One circuit breaker per (install, point), shared by every host process on this database.
CREATE TABLE circuit_breakers (
  install_id text NOT NULL REFERENCES installs (id) ON DELETE CASCADE,
  point text NOT NULL,
  status text NOT NULL DEFAULT 'closed' CHECK (status IN ('closed', 'open', 'half_open')),
  calls integer NOT NULL DEFAULT 0,
  errors integer NOT NULL DEFAULT 0,
  opened_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (install_id, point)
);
