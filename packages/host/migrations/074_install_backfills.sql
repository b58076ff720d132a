-- Install backfills: when a merchant installs a plugin that handles `install.backfill`, the host walks
-- the merchant's members who existed at that moment, a page at a time, as events delivered to that
-- install only. One row per install holds where the walk is, so any host process can send the next
-- page (claimed with FOR UPDATE SKIP LOCKED) and the install's status shows the progress.
CREATE TABLE install_backfills (
  install_id text PRIMARY KEY REFERENCES installs (id) ON DELETE CASCADE,
  merchant_id text NOT NULL REFERENCES merchants (id),
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
  -- Members registered up to this time are in the backfill; later ones arrive as member.registered.
  snapshot_at timestamptz NOT NULL,
  members_total integer NOT NULL CHECK (members_total >= 0),
  -- Members of pages whose delivery succeeded.
  members_done integer NOT NULL DEFAULT 0 CHECK (members_done >= 0),
  pages_done integer NOT NULL DEFAULT 0 CHECK (pages_done >= 0),
  -- The page in flight (its event id and where it ends), NULL between pages.
  page_event_id text,
  page_last_member text,
  page_members integer,
  -- The last member of the last page that succeeded (the keyset cursor); NULL before the first.
  cursor_member text,
  -- A resumed backfill sends its failed page again under a new event id (attempt 2, 3, …).
  attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  last_error jsonb,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  CHECK ((status = 'running') = (finished_at IS NULL))
);
-- What the runner looks for: running backfills.
CREATE INDEX install_backfills_running_idx ON install_backfills (updated_at) WHERE status = 'running';
