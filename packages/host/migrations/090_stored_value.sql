-- Stored value (会员宝): prepaid money a member paid in, kept as lots of principal + bonus.
--
-- Every amount is integer fen. The account row is the member's lock (lock order 2: member), its
-- principal_fen + bonus_fen the balance; lots are drawn oldest first (by seq) and locked in that order;
-- entries are append-only (a trigger refuses UPDATE and DELETE), so balance = Σ entries can always be
-- checked. No CHECK is left to luck: a balance or a lot's remainder can never go below zero.

-- The merchant's top-up rules: a top-up of at least min_principal_fen earns bonus_fen (the best rule
-- that the amount reaches applies; none: no bonus).
CREATE TABLE stored_value_rules (
  merchant_id text PRIMARY KEY REFERENCES merchants(id) ON DELETE CASCADE,
  rules jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stored_value_accounts (
  merchant_id text NOT NULL REFERENCES merchants(id) ON DELETE CASCADE,
  member_id text NOT NULL,
  principal_fen bigint NOT NULL DEFAULT 0 CHECK (principal_fen >= 0),
  bonus_fen bigint NOT NULL DEFAULT 0 CHECK (bonus_fen >= 0),
  PRIMARY KEY (merchant_id, member_id)
);

-- A top-up: pending until its signed payment callback arrives, then paid with its lot.
CREATE TABLE stored_value_top_ups (
  merchant_id text NOT NULL REFERENCES merchants(id) ON DELETE CASCADE,
  id text NOT NULL,
  member_id text NOT NULL,
  principal_fen bigint NOT NULL CHECK (principal_fen > 0),
  bonus_fen bigint NOT NULL CHECK (bonus_fen >= 0),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'refunded')),
  provider_payment_id text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  paid_at timestamptz,
  PRIMARY KEY (merchant_id, id)
);

CREATE TABLE stored_value_lots (
  merchant_id text NOT NULL REFERENCES merchants(id) ON DELETE CASCADE,
  id text NOT NULL,
  seq bigserial NOT NULL,
  member_id text NOT NULL,
  top_up_id text NOT NULL,
  principal_fen bigint NOT NULL CHECK (principal_fen > 0),
  bonus_fen bigint NOT NULL CHECK (bonus_fen >= 0),
  principal_remaining bigint NOT NULL CHECK (principal_remaining >= 0),
  bonus_remaining bigint NOT NULL CHECK (bonus_remaining >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, id)
);
CREATE INDEX stored_value_lots_draw_idx ON stored_value_lots (merchant_id, member_id, seq);

CREATE TABLE stored_value_spends (
  merchant_id text NOT NULL REFERENCES merchants(id) ON DELETE CASCADE,
  id text NOT NULL,
  member_id text NOT NULL,
  amount_fen bigint NOT NULL CHECK (amount_fen > 0),
  refunded_fen bigint NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0 AND refunded_fen <= amount_fen),
  store_id text,
  order_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, id)
);

-- What a spend took from each lot, and what of it was refunded so far (a refund returns to these).
CREATE TABLE stored_value_spend_takes (
  merchant_id text NOT NULL,
  spend_id text NOT NULL,
  draw_no int NOT NULL,
  lot_id text NOT NULL,
  principal_fen bigint NOT NULL CHECK (principal_fen >= 0),
  bonus_fen bigint NOT NULL CHECK (bonus_fen >= 0),
  principal_refunded bigint NOT NULL DEFAULT 0 CHECK (principal_refunded >= 0 AND principal_refunded <= principal_fen),
  bonus_refunded bigint NOT NULL DEFAULT 0 CHECK (bonus_refunded >= 0 AND bonus_refunded <= bonus_fen),
  PRIMARY KEY (merchant_id, spend_id, draw_no),
  FOREIGN KEY (merchant_id, spend_id) REFERENCES stored_value_spends (merchant_id, id) ON DELETE CASCADE
);

CREATE TABLE stored_value_entries (
  merchant_id text NOT NULL REFERENCES merchants(id) ON DELETE CASCADE,
  id text NOT NULL,
  seq bigserial NOT NULL,
  member_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('top_up', 'spend', 'spend_refund', 'top_up_refund', 'bonus_forfeit')),
  lot_id text NOT NULL,
  principal_delta bigint NOT NULL,
  bonus_delta bigint NOT NULL,
  ref_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, id)
);
CREATE INDEX stored_value_entries_member_idx ON stored_value_entries (merchant_id, member_id, seq);

CREATE FUNCTION stored_value_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM merchants WHERE id = OLD.merchant_id) THEN
    RETURN OLD; -- the merchant's own deletion cascades
  END IF;
  RAISE EXCEPTION 'stored_value_entries is append-only';
END $$;
CREATE TRIGGER stored_value_entries_append_only BEFORE UPDATE OR DELETE ON stored_value_entries
  FOR EACH ROW EXECUTE FUNCTION stored_value_entries_append_only();

-- Idempotency of every mutation, scoped to (merchant, caller, key); the result is kept for replays.
CREATE TABLE stored_value_idempotency (
  merchant_id text NOT NULL REFERENCES merchants(id) ON DELETE CASCADE,
  scope text NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  result jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, scope, key)
);
