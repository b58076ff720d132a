-- Tiers applied by the host (会员通): the merchant's ladder, each member's current tier, its history, and
-- the queue of members whose tier is to be computed again.
--
-- The ladder is the merchant's data (PUT /v1/tiers): tiers (id, name, rank), how long a reached tier
-- lasts and how many days a member is protected against a downgrade after reaching one.
CREATE TABLE tier_ladders (
  merchant_id text PRIMARY KEY REFERENCES merchants (id),
  tiers jsonb NOT NULL,
  validity_months integer CHECK (validity_months BETWEEN 1 AND 120),
  downgrade_protection_days integer NOT NULL DEFAULT 0 CHECK (downgrade_protection_days BETWEEN 0 AND 3650),
  revision integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A member's tier. No row (or tier_id NULL) is the ladder's entry tier, never assigned. `revision` grows
-- with every write: a decision computed from revision r applies only while the row is still at r (two
-- workers on one member: the second recomputes instead of applying a stale decision). `review_at` is
-- when the schedule must compute it again (expiry, or the end of protection of a refused downgrade).
CREATE TABLE member_tiers (
  merchant_id text NOT NULL REFERENCES merchants (id),
  member_id text NOT NULL,
  tier_id text,
  since timestamptz,
  expires_at timestamptz,
  protected_until timestamptz,
  review_at timestamptz,
  revision integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, member_id)
);
CREATE INDEX member_tiers_review_idx ON member_tiers (review_at) WHERE review_at IS NOT NULL;

-- Every change, with who decided it: the install, its version and the invocation (whose log row is
-- written in the same transaction), and the event that announced it.
CREATE TABLE member_tier_history (
  merchant_id text NOT NULL REFERENCES merchants (id),
  id text NOT NULL,
  seq bigserial NOT NULL,
  member_id text NOT NULL,
  from_tier text,
  to_tier text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('up', 'down')),
  reason text NOT NULL,
  trigger text NOT NULL,
  install_id text,
  version text,
  invocation_id text NOT NULL,
  event_id text NOT NULL,
  expires_at timestamptz,
  changed_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, id)
);
CREATE INDEX member_tier_history_member_idx ON member_tier_history (merchant_id, member_id, seq);

-- Members whose tier is to be computed (one row per member: triggers coalesce). Written in the
-- transaction of the event that caused it; claimed with FOR UPDATE SKIP LOCKED and a lease. A request
-- that arrives while a worker holds the row bumps `requested_at`, so the worker keeps the row pending.
CREATE TABLE tier_work (
  merchant_id text NOT NULL REFERENCES merchants (id),
  member_id text NOT NULL,
  trigger text NOT NULL,
  fact_at timestamptz NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  claimed_at timestamptz,
  due_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'dead')),
  last_error jsonb,
  PRIMARY KEY (merchant_id, member_id)
);
CREATE INDEX tier_work_due_idx ON tier_work (due_at) WHERE status = 'pending';
