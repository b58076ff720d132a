-- The allocation saga (商品通): an online order routed to stores (order.route), each store accepting
-- within an SLA or refusing with a reason, refusals reallocated up to N attempts, then the warehouse.
--
-- Lock order of every saga transaction (docs/fulfilment.md, "The allocation saga"): (1) the order's
-- allocation_orders row — a saga step for one order waits here for the one before it; (2) the capacity
-- rows of the stores it allocates or frees, in store id order; (3) the stock rows, through inventory
-- bills, store by store in store id order (each bill: its number, then its SKUs in order). A transaction
-- never takes another order's allocation_orders row, so two orders never wait for each other in a cycle.

CREATE TABLE allocation_orders (
  merchant_id text NOT NULL,
  order_id text NOT NULL,
  -- sha256 of the canonical allocation request: the same order again with another request is TK_CONFLICT.
  request_hash text NOT NULL,
  fulfilment text NOT NULL CHECK (fulfilment IN ('deliver', 'pickup')),
  pickup_store_id text,
  district_code text CHECK (district_code ~ '^[0-9]{6}$'),
  -- Distance in metres from the delivery address to each store with a location, computed by the host
  -- when the order came in. The address's coordinates themselves are not kept (PIPL: the least personal
  -- data that does the job), and no plugin ever sees them.
  distances jsonb NOT NULL DEFAULT '{}',
  -- routing: lines wait for a decision; allocated: stores have yet to accept; accepted: every line is
  -- accepted; warehouse: the stores failed and the warehouse took the rest; failed: nobody can fill it.
  status text NOT NULL CHECK (status IN ('routing', 'allocated', 'accepted', 'warehouse', 'failed')),
  -- Routing decisions made so far (the first one included); past max_attempts the warehouse takes over.
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 20),
  sla_minutes integer NOT NULL CHECK (sla_minutes BETWEEN 1 AND 1440),
  -- Stores that refused (or let the SLA pass): never offered this order again.
  refused_by text[] NOT NULL DEFAULT '{}',
  -- Decisions where the plugin failed (or none served the point) and the platform default applied.
  fallbacks integer NOT NULL DEFAULT 0,
  failure_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, order_id),
  FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id),
  FOREIGN KEY (merchant_id, pickup_store_id) REFERENCES stores (merchant_id, id),
  CHECK ((fulfilment = 'pickup') = (pickup_store_id IS NOT NULL))
);
-- The orders a sweep re-routes (left in routing by a crash between a refusal and its reallocation).
CREATE INDEX allocation_orders_routing_idx ON allocation_orders (updated_at) WHERE status = 'routing';

CREATE TABLE allocations (
  merchant_id text NOT NULL,
  -- alc_…: also the id of its inventory reservation.
  id text NOT NULL CHECK (id ~ '^alc_[A-Za-z0-9]{8,40}$'),
  order_id text NOT NULL,
  store_id text NOT NULL,
  -- The routing decision (attempt) that made it, from 1.
  attempt integer NOT NULL CHECK (attempt >= 1),
  -- The order's line numbers (order_lines.line_no) it fulfils, and the SKUs and quantities it holds.
  line_nos integer[] NOT NULL CHECK (cardinality(line_nos) > 0),
  lines jsonb NOT NULL,
  -- allocated: waiting for the store; accepted: the store takes it; refused: the store said no (reason);
  -- expired: the SLA passed (counts as a refusal; a late accept answers `superseded`); short: a till
  -- sale or a count took its goods.
  status text NOT NULL CHECK (status IN ('allocated', 'accepted', 'refused', 'expired', 'short')),
  -- Who decided: the plugin, its fallback, the platform default (no install), or the warehouse step.
  source text NOT NULL CHECK (source IN ('plugin', 'fallback', 'platform', 'warehouse')),
  reason text,
  note text,
  -- The merchant's local day whose capacity it counts against.
  local_day date NOT NULL,
  -- When the store must have answered; null for the warehouse (it takes what it is given).
  due_at timestamptz,
  answered_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, id),
  FOREIGN KEY (merchant_id, order_id) REFERENCES allocation_orders (merchant_id, order_id),
  FOREIGN KEY (merchant_id, store_id) REFERENCES stores (merchant_id, id)
);
-- A store's queue, newest first; the order's allocations.
CREATE INDEX allocations_store_idx ON allocations (merchant_id, store_id, created_at DESC);
CREATE INDEX allocations_order_idx ON allocations (merchant_id, order_id, attempt);
-- What the SLA sweep looks at.
CREATE INDEX allocations_due_idx ON allocations (due_at) WHERE status = 'allocated';

-- Orders a store took on a local day: allocated or accepted allocations count, refused ones give their
-- place back. `used` only rises through a conditional UPDATE (used < capacity) on the locked row, so two
-- orders racing for a store's last place today get one of them.
CREATE TABLE allocation_capacity (
  merchant_id text NOT NULL,
  store_id text NOT NULL,
  local_day date NOT NULL,
  used integer NOT NULL CHECK (used >= 0),
  PRIMARY KEY (merchant_id, store_id, local_day),
  FOREIGN KEY (merchant_id, store_id) REFERENCES stores (merchant_id, id)
);

-- A merchant's saga settings (defaults when it has no row: 30 minutes to accept, 3 routing decisions).
-- An order keeps the values it started with (allocation_orders.sla_minutes / max_attempts).
CREATE TABLE allocation_settings (
  merchant_id text PRIMARY KEY REFERENCES merchants (id),
  sla_minutes integer NOT NULL CHECK (sla_minutes BETWEEN 1 AND 1440),
  max_attempts integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 20),
  updated_at timestamptz NOT NULL DEFAULT now()
);
