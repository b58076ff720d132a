-- Registry and review: plugins, their immutable versions, and the reviewers' decisions.

CREATE TABLE plugins (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]{1,62}[a-z0-9]$'),
  developer_id text NOT NULL REFERENCES developers (id),
  -- A brand's private plugin (custom distribution) serves one merchant and is approved by that brand's admin.
  private_merchant_id text REFERENCES merchants (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plugins_developer_id_idx ON plugins (developer_id);

-- A version is immutable once deployed: only its review status and comment change.
CREATE TABLE plugin_versions (
  plugin_name text NOT NULL REFERENCES plugins (name),
  version text NOT NULL,
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')),
  manifest jsonb NOT NULL,
  bundle text NOT NULL,
  source_map text,
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  bytes integer NOT NULL CHECK (bytes > 0),
  fixtures jsonb NOT NULL DEFAULT '[]',
  report jsonb NOT NULL,
  review_comment text,
  reviewed_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  submitted_at timestamptz,
  reviewed_at timestamptz,
  PRIMARY KEY (plugin_name, version)
);
CREATE INDEX plugin_versions_status_idx ON plugin_versions (status, submitted_at);
