-- Tenancy: merchants and their tiers and stores, plugin developers, and the API tokens people act with.
--
-- Conventions for every migration:
--   * ids are text (readable slugs or generated ids), never serials: they appear in URLs, logs and fixtures;
--   * money is integer fen (bigint), never float or numeric: the SDK computes in fen too;
--   * time is timestamptz;
--   * every tenant-owned row carries merchant_id, so each query can be scoped to the caller's merchant;
--   * deleting a parent is refused (default NO ACTION) rather than cascading: tenant data is kept on purpose.

-- 商家分层: which plugins and extension points merchants of a tier may use.
CREATE TABLE merchant_tiers (
  id text PRIMARY KEY CHECK (id <> ''),
  name text NOT NULL CHECK (name <> ''),
  -- NULL = any plugin; an empty array = none.
  allowed_plugins text[] CHECK (array_position(allowed_plugins, NULL) IS NULL),
  -- NULL = any extension point (e.g. 'member.tier.compute'); an empty array = none.
  allowed_points text[] CHECK (array_position(allowed_points, NULL) IS NULL),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE merchants (
  id text PRIMARY KEY CHECK (id <> ''),
  name text NOT NULL CHECK (name <> ''),
  tier_id text NOT NULL REFERENCES merchant_tiers (id),
  -- Development merchants run unreviewed plugin versions (tongkit dev, tests); live ones only approved ones.
  is_development boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Deleting or re-tiering a tier looks up its merchants.
CREATE INDEX merchants_tier_id_idx ON merchants (tier_id);

CREATE TABLE stores (
  id text PRIMARY KEY CHECK (id <> ''),
  merchant_id text NOT NULL REFERENCES merchants (id),
  name text NOT NULL CHECK (name <> ''),
  channel text NOT NULL CHECK (channel IN ('store', 'online', 'warehouse')),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Target of composite foreign keys (merchant_id, store_id) in tenant-owned tables: a row can then never
  -- point at another merchant's store. Also serves "the stores of a merchant".
  UNIQUE (merchant_id, id)
);

CREATE TABLE developers (
  id text PRIMARY KEY CHECK (id <> ''),
  name text NOT NULL CHECK (name <> ''),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Bearer tokens are stored only as the hex sha256 of the token: a leaked table grants nothing.
CREATE TABLE api_tokens (
  token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  role text NOT NULL CHECK (role IN ('developer', 'reviewer', 'merchant', 'admin')),
  -- Whom the token acts for: a developers.id, a merchants.id, a reviewer's or admin's name. No foreign key,
  -- since the target table depends on the role; the code that issues tokens checks it.
  subject_id text NOT NULL CHECK (subject_id <> ''),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Set when revoked; revoked tokens are kept so an audit can still tell whose a token was.
  revoked_at timestamptz CHECK (revoked_at >= created_at)
);

-- "The tokens of this developer / merchant", to list or revoke them.
CREATE INDEX api_tokens_subject_idx ON api_tokens (role, subject_id);
