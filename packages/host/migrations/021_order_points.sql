-- Points earned per order (member.points.earn) and reversed on refunds: the host's own work queue, and
-- the merchant's earning policy.
--
-- An order.paid or order.refunded event is also written here, in the transaction that publishes it (an
-- outbox of the host's own, next to the plugins' deliveries). Workers of any host process claim rows with
-- FOR UPDATE SKIP LOCKED and a lease; the ledger makes each step idempotent (by order and source for an
-- earn, by refund id for a reversal), so a row processed twice changes nothing twice, and a refund
-- processed before its order's earn still ends right (the ledger locks the order's row).

CREATE TABLE points_order_work (
  merchant_id text NOT NULL REFERENCES merchants (id),
  event_id text NOT NULL,
  type text NOT NULL CHECK (type IN ('order.paid', 'order.refunded')),
  data jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  -- A claimed row is leased until then; a worker that died lets it fall due again.
  due_at timestamptz NOT NULL DEFAULT now(),
  last_error jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, event_id)
);
CREATE INDEX points_order_work_due_idx ON points_order_work (due_at) WHERE status = 'pending';

-- The platform default rate (applied once, only when no install answered member.points.earn) and the
-- cap per order, in basis points of points per yuan of money tenders. No row: 1 point and 1 growth per
-- yuan, no cap.
CREATE TABLE points_earn_policies (
  merchant_id text PRIMARY KEY REFERENCES merchants (id),
  points_per_yuan_bp integer NOT NULL DEFAULT 10000 CHECK (points_per_yuan_bp BETWEEN 0 AND 10000000),
  growth_per_yuan_bp integer NOT NULL DEFAULT 10000 CHECK (growth_per_yuan_bp BETWEEN 0 AND 10000000),
  cap_points_per_order bigint CHECK (cap_points_per_order >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
