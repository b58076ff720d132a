-- 导购: store guides, member relations with protection windows, shares and clicks, order attribution
-- and the commission ledger with cumulative clawback, monthly statements.
--
-- A guide is a staff member (migration 006) with a role; a guide's staff token sees only its own rows.
-- Lock order: guide rows (FOR SHARE by a bind, FOR UPDATE by a leave), then a member's relation row, then the guide order row
-- (guide_orders, the commission ledger's "order row"), then the outbox row.

CREATE TABLE guides (
  merchant_id text NOT NULL,
  id text NOT NULL,
  store_id text,
  role text NOT NULL CHECK (role IN ('guide', 'store_manager', 'area_manager')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'left')),
  -- The guide's own member account, if any: their purchases are never attributed to themselves.
  member_id text,
  left_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, id),
  FOREIGN KEY (merchant_id, id) REFERENCES staff (merchant_id, id),
  FOREIGN KEY (merchant_id, store_id) REFERENCES stores (merchant_id, id),
  FOREIGN KEY (merchant_id, member_id) REFERENCES members (merchant_id, id)
);
CREATE UNIQUE INDEX guides_member_idx ON guides (merchant_id, member_id) WHERE member_id IS NOT NULL;

-- The merchant's policy: attribution window (default 15 days, per channel), protection window, the
-- platform default commission ratio and the cap per order, in basis points of the money tenders.
CREATE TABLE guide_settings (
  merchant_id text PRIMARY KEY REFERENCES merchants (id),
  window_days integer NOT NULL DEFAULT 15 CHECK (window_days BETWEEN 1 AND 365),
  channel_window_days jsonb NOT NULL DEFAULT '{}',
  protection_days integer NOT NULL DEFAULT 15 CHECK (protection_days BETWEEN 0 AND 365),
  default_rate_bp integer NOT NULL DEFAULT 300 CHECK (default_rate_bp BETWEEN 0 AND 10000),
  cap_bp integer NOT NULL DEFAULT 1000 CHECK (cap_bp BETWEEN 0 AND 10000),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One member ↔ one guide per merchant at a time: the primary key is the rule, and concurrent binds of
-- one member serialise on this row.
CREATE TABLE guide_relations (
  merchant_id text NOT NULL,
  member_id text NOT NULL,
  guide_id text,
  source text NOT NULL,
  bound_at timestamptz NOT NULL,
  protected_until timestamptz,
  PRIMARY KEY (merchant_id, member_id),
  FOREIGN KEY (merchant_id, member_id) REFERENCES members (merchant_id, id),
  FOREIGN KEY (merchant_id, guide_id) REFERENCES guides (merchant_id, id)
);
CREATE INDEX guide_relations_guide_idx ON guide_relations (merchant_id, guide_id) WHERE guide_id IS NOT NULL;

-- Every move of a relation and of a guide (bind, take-over, override, hand-over, leave): append-only.
CREATE TABLE guide_audit (
  seq bigserial PRIMARY KEY,
  merchant_id text NOT NULL,
  action text NOT NULL CHECK (action IN ('bind', 'rebind', 'override', 'handover', 'release', 'guide_left', 'refused')),
  member_id text,
  from_guide_id text,
  to_guide_id text,
  source text,
  actor text NOT NULL,
  reason text,
  at timestamptz NOT NULL
);
CREATE INDEX guide_audit_member_idx ON guide_audit (merchant_id, member_id, seq DESC);
CREATE INDEX guide_audit_guide_idx ON guide_audit (merchant_id, to_guide_id, at);

CREATE TABLE guide_shares (
  merchant_id text NOT NULL,
  id text NOT NULL,
  guide_id text NOT NULL,
  channel text NOT NULL,
  target text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, id),
  FOREIGN KEY (merchant_id, guide_id) REFERENCES guides (merchant_id, id)
);
CREATE INDEX guide_shares_guide_idx ON guide_shares (merchant_id, guide_id, created_at DESC);

CREATE TABLE guide_share_clicks (
  merchant_id text NOT NULL,
  share_id text NOT NULL,
  click_id text NOT NULL,
  member_id text NOT NULL,
  clicked_at timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, share_id, click_id),
  FOREIGN KEY (merchant_id, share_id) REFERENCES guide_shares (merchant_id, id),
  FOREIGN KEY (merchant_id, member_id) REFERENCES members (merchant_id, id)
);
CREATE INDEX guide_share_clicks_member_idx ON guide_share_clicks (merchant_id, member_id, clicked_at DESC);

-- The commission ledger's order row: attribution (once) and what was paid and refunded in money
-- tenders. Earn and reversal lock it, as the points ledger locks points_orders; a refund processed
-- before its order's attribution is recorded here and reversed when the accrual runs.
CREATE TABLE guide_orders (
  merchant_id text NOT NULL,
  order_id text NOT NULL,
  member_id text,
  paid_fen bigint NOT NULL CHECK (paid_fen >= 0),
  refunded_fen bigint NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0),
  attributed boolean NOT NULL DEFAULT false,
  guide_id text,
  channel text,
  reason text,
  decision_source text,
  -- The guide the order was refused to because they bought it themselves (a signal).
  refused_guide_id text,
  paid_at timestamptz,
  attributed_at timestamptz,
  PRIMARY KEY (merchant_id, order_id),
  CHECK (refunded_fen <= paid_fen)
);
CREATE INDEX guide_orders_guide_idx ON guide_orders (merchant_id, guide_id, paid_at) WHERE guide_id IS NOT NULL;

CREATE TABLE guide_order_refunds (
  merchant_id text NOT NULL,
  order_id text NOT NULL,
  refund_id text NOT NULL,
  spend_fen bigint NOT NULL CHECK (spend_fen >= 0),
  refunded_at timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, order_id, refund_id)
);

-- One split of an order's commission: what it accrued and reversed so far (reversed ≤ accrued).
CREATE TABLE guide_commissions (
  merchant_id text NOT NULL,
  order_id text NOT NULL,
  guide_id text NOT NULL,
  role text NOT NULL,
  basis text NOT NULL,
  accrued_fen bigint NOT NULL CHECK (accrued_fen >= 0),
  reversed_fen bigint NOT NULL DEFAULT 0 CHECK (reversed_fen BETWEEN 0 AND accrued_fen),
  PRIMARY KEY (merchant_id, order_id, guide_id)
);

-- Append-only entries: + accruals, − reversals. A guide's balance is the sum; a statement takes the
-- unsettled entries up to its month's end, so a reversal after settlement lands on the next one.
CREATE TABLE commission_entries (
  seq bigserial PRIMARY KEY,
  merchant_id text NOT NULL,
  guide_id text NOT NULL,
  order_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('accrue', 'reverse')),
  refund_id text NOT NULL DEFAULT '',
  amount_fen bigint NOT NULL CHECK ((kind = 'accrue' AND amount_fen > 0) OR (kind = 'reverse' AND amount_fen < 0)),
  occurred_at timestamptz NOT NULL,
  statement_month text,
  UNIQUE (merchant_id, order_id, guide_id, kind, refund_id)
);
CREATE INDEX commission_entries_guide_idx ON commission_entries (merchant_id, guide_id, occurred_at);

-- A merchant's month is settled once: later entries of it carry to the next statement.
CREATE TABLE guide_settlements (
  merchant_id text NOT NULL REFERENCES merchants (id),
  month text NOT NULL CHECK (month ~ '^\d{4}-\d{2}$'),
  settled_at timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, month)
);

CREATE TABLE guide_statements (
  merchant_id text NOT NULL,
  guide_id text NOT NULL,
  month text NOT NULL CHECK (month ~ '^\d{4}-\d{2}$'),
  accrued_fen bigint NOT NULL,
  reversed_fen bigint NOT NULL,
  carried_fen bigint NOT NULL,
  net_fen bigint NOT NULL,
  entries integer NOT NULL,
  settled_at timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, guide_id, month)
);

-- The host's own queue of order events for attribution and commission (as points_order_work).
CREATE TABLE guide_order_work (
  merchant_id text NOT NULL REFERENCES merchants (id),
  event_id text NOT NULL,
  type text NOT NULL CHECK (type IN ('order.paid', 'order.refunded')),
  data jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  due_at timestamptz NOT NULL DEFAULT now(),
  last_error jsonb,
  PRIMARY KEY (merchant_id, event_id)
);
CREATE INDEX guide_order_work_due_idx ON guide_order_work (due_at) WHERE status = 'pending';
