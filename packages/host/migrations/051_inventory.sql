-- Inventory (商品通): stock per (store, SKU) — a warehouse is a store-like location too — changed only by
-- bills, each with the merchant's bill number (idempotent), every change a movement row.
--
-- Lock order (every bill, see docs/fulfilment.md): the bill's number row first (inventory_bills: a second
-- bill with the same number waits here, then reads the first one's result), then the stock rows of the
-- bill's one store in SKU order, then the reservation lines of those rows. A reservation line is only ever
-- changed by a transaction that holds its stock row, so no two orders can interleave in another order.

CREATE TABLE inventory_stock (
  merchant_id text NOT NULL,
  store_id text NOT NULL,
  sku text NOT NULL CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$'),
  -- May go below zero: a till's sale is a fact and always applies; needs_count flags it for a stock count.
  on_hand bigint NOT NULL DEFAULT 0,
  -- Units held by open (not short) reservations.
  reserved bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  needs_count boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, store_id, sku),
  FOREIGN KEY (merchant_id, store_id) REFERENCES stores (merchant_id, id),
  -- The rule "never reserve more than is there", kept by the database as well as by the service: a bill
  -- that would leave reservations uncovered must first mark them short.
  CHECK (reserved <= greatest(on_hand, 0))
);

CREATE TABLE inventory_bills (
  merchant_id text NOT NULL REFERENCES merchants (id),
  bill_no text NOT NULL CHECK (length(bill_no) BETWEEN 1 AND 200),
  kind text NOT NULL CHECK (kind IN ('inbound', 'outbound', 'adjustment', 'reservation', 'release', 'fulfilment')),
  -- sha256 of the bill's canonical JSON: the same number with another body is TK_CONFLICT.
  request_hash text NOT NULL,
  -- The outcome (applied or rejected, with the stock after it), returned again for a duplicate.
  result jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, bill_no)
);

CREATE TABLE inventory_reservations (
  merchant_id text NOT NULL,
  reservation_id text NOT NULL CHECK (length(reservation_id) BETWEEN 1 AND 128),
  sku text NOT NULL,
  store_id text NOT NULL,
  quantity bigint NOT NULL CHECK (quantity > 0),
  -- held: counted in reserved; short: left uncovered by a sale or a count (not counted, to be reallocated);
  -- released and fulfilled are final.
  status text NOT NULL CHECK (status IN ('held', 'short', 'released', 'fulfilled')),
  -- Newer reservations are marked short first: the older allocation keeps the goods it was promised.
  seq bigserial NOT NULL,
  bill_no text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, reservation_id, sku),
  FOREIGN KEY (merchant_id, store_id, sku) REFERENCES inventory_stock (merchant_id, store_id, sku)
);
-- The open reservations of a stock row, newest first (what a sale leaves uncovered).
CREATE INDEX inventory_reservations_held_idx ON inventory_reservations (merchant_id, store_id, sku, seq DESC) WHERE status = 'held';

CREATE TABLE inventory_movements (
  id bigserial PRIMARY KEY,
  merchant_id text NOT NULL,
  store_id text NOT NULL,
  sku text NOT NULL,
  bill_no text NOT NULL,
  -- The bill's kind, or 'short' for a reservation a sale or count left uncovered.
  kind text NOT NULL CHECK (kind IN ('inbound', 'outbound', 'adjustment', 'reservation', 'release', 'fulfilment', 'short')),
  on_hand_delta bigint NOT NULL,
  reserved_delta bigint NOT NULL,
  on_hand_after bigint NOT NULL,
  reserved_after bigint NOT NULL,
  reservation_id text,
  reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (merchant_id, store_id, sku) REFERENCES inventory_stock (merchant_id, store_id, sku)
);
CREATE INDEX inventory_movements_stock_idx ON inventory_movements (merchant_id, store_id, sku, id);
CREATE INDEX inventory_movements_bill_idx ON inventory_movements (merchant_id, bill_no);
