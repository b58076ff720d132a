-- 会员通 points & growth ledger (docs/points-ledger.md).
--
-- Two accounts per member: 'points' (spendable) and 'growth' (成长值, never spent). Entries are append-only
-- and explain every change; the account row keeps the derived balance in the same transaction (a test
-- proves balance = Σ entries = Σ live lots − debt). Grants create lots with an expiry; spending, holds and
-- expiry consume lots soonest-expiring first; a refund reversal the lots cannot cover becomes debt.
--
-- Members and orders are keyed by the merchant's opaque text ids, so the ledger depends on no other
-- domain's tables: other domains are reached through their services.
--
-- Lock order (every mutation, each in its own short transaction):
--   1. the idempotency key (points_idempotency insert),
--   2. the order (points_orders), for earning and refund reversal,
--   3. the member's account rows, in account order ('growth' before 'points'),
--   4. the hold (points_holds), for confirm and release.
-- Lots, hold allocations and order grants of a member are written only under that member's account lock,
-- which therefore guards them too.

CREATE TABLE points_accounts (
  merchant_id text NOT NULL REFERENCES merchants (id),
  member_id text NOT NULL CHECK (member_id <> ''),
  account text NOT NULL CHECK (account IN ('points', 'growth')),
  -- Spendable balance: Σ entries.delta. Negative only while there is debt.
  balance bigint NOT NULL DEFAULT 0,
  -- Points in holds that are still open (freeze entries took them out of the balance and the lots).
  held bigint NOT NULL DEFAULT 0 CHECK (held >= 0),
  -- A reversal that the lots could not cover; it blocks redemption and new credits repay it first.
  debt bigint NOT NULL DEFAULT 0 CHECK (debt >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, member_id, account),
  CHECK (account = 'points' OR held = 0)
);

CREATE TABLE points_lots (
  merchant_id text NOT NULL,
  id text NOT NULL,
  member_id text NOT NULL,
  account text NOT NULL,
  -- What the grant put in the lot (after repaying debt); remaining is what is left of it.
  granted bigint NOT NULL CHECK (granted > 0),
  remaining bigint NOT NULL CHECK (remaining >= 0 AND remaining <= granted),
  -- NULL: never expires.
  expires_at timestamptz,
  order_id text,
  entry_id text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, id),
  FOREIGN KEY (merchant_id, member_id, account) REFERENCES points_accounts (merchant_id, member_id, account)
);
-- A member's live lots, soonest-expiring first (the spending order).
CREATE INDEX points_lots_live_idx ON points_lots (merchant_id, member_id, account, expires_at) WHERE remaining > 0;
-- The expiry schedule's sweep.
CREATE INDEX points_lots_due_idx ON points_lots (expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;

CREATE TABLE points_entries (
  -- Paging order of a member's ledger.
  seq bigint GENERATED ALWAYS AS IDENTITY,
  merchant_id text NOT NULL,
  id text NOT NULL,
  member_id text NOT NULL,
  account text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('grant', 'deduct', 'freeze', 'confirm', 'release', 'expire', 'reverse')),
  delta bigint NOT NULL,
  balance_before bigint NOT NULL,
  balance_after bigint NOT NULL CHECK (balance_after = balance_before + delta),
  debt_after bigint NOT NULL CHECK (debt_after >= 0),
  reason text NOT NULL,
  source_kind text NOT NULL CHECK (source_kind IN ('install', 'operator', 'host')),
  source_id text NOT NULL,
  order_id text,
  hold_id text,
  lot_id text,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, id),
  FOREIGN KEY (merchant_id, member_id, account) REFERENCES points_accounts (merchant_id, member_id, account)
);
CREATE INDEX points_entries_member_idx ON points_entries (merchant_id, member_id, seq);

-- Entries are the ledger's history: nothing rewrites or removes one (expiry and reversal write new ones).
CREATE FUNCTION points_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'points_entries is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER points_entries_append_only BEFORE UPDATE OR DELETE ON points_entries
  FOR EACH ROW EXECUTE FUNCTION points_entries_append_only();

-- Two-phase redemption: freeze → confirm | release. Every hold ends in exactly one of the two; an expired
-- hold is released (release_cause 'expired').
CREATE TABLE points_holds (
  merchant_id text NOT NULL,
  id text NOT NULL,
  member_id text NOT NULL,
  account text NOT NULL DEFAULT 'points' CHECK (account = 'points'),
  amount bigint NOT NULL CHECK (amount > 0),
  status text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'confirmed', 'released')),
  release_cause text CHECK (release_cause IN ('requested', 'expired')),
  expires_at timestamptz NOT NULL,
  reason text NOT NULL,
  source_kind text NOT NULL,
  source_id text NOT NULL,
  created_at timestamptz NOT NULL,
  closed_at timestamptz,
  PRIMARY KEY (merchant_id, id),
  FOREIGN KEY (merchant_id, member_id, account) REFERENCES points_accounts (merchant_id, member_id, account),
  CHECK ((status = 'held') = (closed_at IS NULL)),
  CHECK ((status = 'released') = (release_cause IS NOT NULL))
);
CREATE INDEX points_holds_due_idx ON points_holds (expires_at) WHERE status = 'held';
CREATE INDEX points_holds_member_idx ON points_holds (merchant_id, member_id) WHERE status = 'held';

-- Which lots a hold took its points from: a release puts them back where they were.
CREATE TABLE points_hold_lots (
  merchant_id text NOT NULL,
  hold_id text NOT NULL,
  lot_id text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  PRIMARY KEY (merchant_id, hold_id, lot_id),
  FOREIGN KEY (merchant_id, hold_id) REFERENCES points_holds (merchant_id, id),
  FOREIGN KEY (merchant_id, lot_id) REFERENCES points_lots (merchant_id, id)
);

-- An order as the ledger needs it: what was paid and refunded so far. Earning and reversing lock this row,
-- so a refund processed before its order's earn still ends with the right balance.
CREATE TABLE points_orders (
  merchant_id text NOT NULL REFERENCES merchants (id),
  order_id text NOT NULL CHECK (order_id <> ''),
  member_id text NOT NULL,
  paid_fen bigint NOT NULL CHECK (paid_fen > 0),
  refunded_fen bigint NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0 AND refunded_fen <= paid_fen),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, order_id)
);

-- What each source (an install of a merge point, or the platform default) granted for an order, per
-- account, and how much of it refunds reversed so far: reversal is cumulative,
-- floor(granted × refunded / paid) − reversed.
CREATE TABLE points_order_grants (
  merchant_id text NOT NULL,
  order_id text NOT NULL,
  source_kind text NOT NULL,
  source_id text NOT NULL,
  account text NOT NULL CHECK (account IN ('points', 'growth')),
  granted bigint NOT NULL CHECK (granted >= 0),
  reversed bigint NOT NULL DEFAULT 0 CHECK (reversed >= 0 AND reversed <= granted),
  lot_id text,
  PRIMARY KEY (merchant_id, order_id, source_kind, source_id, account),
  FOREIGN KEY (merchant_id, order_id) REFERENCES points_orders (merchant_id, order_id)
);

-- Idempotency keys of ledger mutations, scoped to (merchant, install or operator, key). The first outcome
-- (applied or rejected) is kept and returned again as a duplicate; another payload is TK_CONFLICT.
CREATE TABLE points_idempotency (
  merchant_id text NOT NULL,
  scope text NOT NULL,
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 256),
  request_hash text NOT NULL,
  result jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, scope, key)
);
