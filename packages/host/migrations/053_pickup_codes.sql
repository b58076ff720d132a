-- Pickup codes: an accepted pickup allocation gets a code (8 random digits) the customer shows in the
-- store; the store consumes it once. One open code per order; codes expire; wrong codes are counted per
-- store and window, so a store terminal cannot be used to guess codes.

CREATE TABLE pickup_codes (
  merchant_id text NOT NULL,
  order_id text NOT NULL CHECK (length(order_id) BETWEEN 1 AND 128),
  store_id text NOT NULL,
  -- Shown to the customer again on their order page, so kept; random (crypto.randomInt), never derived.
  code text NOT NULL CHECK (code ~ '^[0-9]{8}$'),
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, order_id),
  FOREIGN KEY (merchant_id, store_id) REFERENCES stores (merchant_id, id)
);
-- A code names one open pickup at its store (a collision on issue draws again).
CREATE UNIQUE INDEX pickup_codes_open_idx ON pickup_codes (merchant_id, store_id, code) WHERE consumed_at IS NULL;

-- Wrong codes entered at a store, per window (see PickupCodes.MAX_FAILURES).
CREATE TABLE pickup_code_failures (
  merchant_id text NOT NULL,
  store_id text NOT NULL,
  window_start timestamptz NOT NULL,
  failures integer NOT NULL DEFAULT 0,
  PRIMARY KEY (merchant_id, store_id, window_start)
);
