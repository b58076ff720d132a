-- Orders in (会员通 / 商品通): the merchant's orders with their lines, tenders and refunds.
--
-- Orders are keyed by the merchant's own order ID (per merchant, like event IDs): the same ID with the
-- same request is a duplicate, with another request TK_CONFLICT (request_hash is the sha256 of the
-- canonical request). Amounts are integer fen; the service keeps these sums true, the CHECKs make sure:
-- the tenders add up to the total, and nothing is refunded beyond what was paid, per tender and in total.
CREATE TABLE orders (
  merchant_id text NOT NULL REFERENCES merchants (id),
  id text NOT NULL CHECK (id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
  request_hash text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('goods', 'service')),
  channel text NOT NULL CHECK (channel IN ('online', 'store')),
  store_id text,
  member_id text,
  guide_id text,
  status text NOT NULL CHECK (status IN ('paid', 'partially_refunded', 'refunded', 'cancelled')),
  total_fen bigint NOT NULL CHECK (total_fen >= 0),
  -- The cash and card tenders: what counts as the member's spend.
  spend_fen bigint NOT NULL CHECK (spend_fen BETWEEN 0 AND total_fen),
  refunded_fen bigint NOT NULL DEFAULT 0 CHECK (refunded_fen BETWEEN 0 AND total_fen),
  paid_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, id),
  FOREIGN KEY (merchant_id, store_id) REFERENCES stores (merchant_id, id),
  FOREIGN KEY (merchant_id, member_id) REFERENCES members (merchant_id, id),
  CHECK (channel = 'online' OR store_id IS NOT NULL)
);
-- A member's orders, newest first, paged by (paid_at, id).
CREATE INDEX orders_member_idx ON orders (merchant_id, member_id, paid_at DESC, id DESC) WHERE member_id IS NOT NULL;

CREATE TABLE order_lines (
  merchant_id text NOT NULL,
  order_id text NOT NULL,
  line_no integer NOT NULL CHECK (line_no >= 0),
  sku text NOT NULL,
  title text NOT NULL,
  category text NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  unit_price_fen bigint NOT NULL CHECK (unit_price_fen >= 0),
  discount_fen bigint NOT NULL CHECK (discount_fen >= 0),
  net_fen bigint NOT NULL CHECK (net_fen >= 0 AND net_fen = quantity * unit_price_fen - discount_fen),
  refunded_quantity integer NOT NULL DEFAULT 0 CHECK (refunded_quantity BETWEEN 0 AND quantity),
  refunded_fen bigint NOT NULL DEFAULT 0 CHECK (refunded_fen BETWEEN 0 AND net_fen),
  PRIMARY KEY (merchant_id, order_id, line_no),
  FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id)
);

CREATE TABLE order_tenders (
  merchant_id text NOT NULL,
  order_id text NOT NULL,
  tender_no integer NOT NULL CHECK (tender_no >= 0),
  method text NOT NULL CHECK (method IN ('cash', 'card', 'points', 'storedValue', 'voucher')),
  amount_fen bigint NOT NULL CHECK (amount_fen > 0),
  refunded_fen bigint NOT NULL DEFAULT 0 CHECK (refunded_fen BETWEEN 0 AND amount_fen),
  hold_id text,
  PRIMARY KEY (merchant_id, order_id, tender_no),
  FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id)
);

-- Refunds, keyed by the merchant's own refund ID per order (idempotent like orders). `tenders` is this
-- refund's amount per tender ([{tenderNo, method, amountFen}]); `lines` the lines it refunded, if any.
CREATE TABLE order_refunds (
  merchant_id text NOT NULL,
  order_id text NOT NULL,
  id text NOT NULL CHECK (id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
  request_hash text NOT NULL,
  amount_fen bigint NOT NULL CHECK (amount_fen > 0),
  spend_fen bigint NOT NULL CHECK (spend_fen BETWEEN 0 AND amount_fen),
  tenders jsonb NOT NULL,
  lines jsonb,
  reason text,
  refunded_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, order_id, id),
  FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id)
);
