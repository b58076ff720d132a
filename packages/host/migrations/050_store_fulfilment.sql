-- Stores as fulfilment points (商品通): what each store can do for online orders, when, how much, where.
--
-- Calendar rules (working hours, closed days, "today" of the daily capacity) are read in the merchant's
-- time zone; storage stays UTC. The column may also come from another migration (members use the same
-- zone for birthdays and 12-month windows), hence IF NOT EXISTS.
ALTER TABLE merchants ADD COLUMN IF NOT EXISTS time_zone text NOT NULL DEFAULT 'Asia/Shanghai';

-- One row per store that is a fulfilment point; a store without a row is not offered to routing.
CREATE TABLE store_fulfilment (
  merchant_id text NOT NULL,
  store_id text NOT NULL,
  -- Subset of {deliver, pickup}; empty = the store fulfils nothing for now (kept, not deleted).
  capabilities text[] NOT NULL CHECK (capabilities <@ ARRAY['deliver', 'pickup']::text[]),
  -- [{ day: 'mon'…'sun', opens: 'HH:MM', closes: 'HH:MM' }], checked by the host (JSON paths in errors).
  working_hours jsonb NOT NULL,
  -- Local calendar dates (in the merchant's zone) on which the store is closed whatever its hours say.
  closed_days date[] NOT NULL DEFAULT '{}',
  daily_capacity integer NOT NULL CHECK (daily_capacity >= 0),
  priority smallint NOT NULL CHECK (priority BETWEEN 0 AND 10),
  -- WGS-84 degrees. A location is not money: a double is exact enough for metres.
  lat double precision CHECK (lat BETWEEN -90 AND 90),
  lng double precision CHECK (lng BETWEEN -180 AND 180),
  delivery_radius_m integer NOT NULL CHECK (delivery_radius_m >= 0),
  min_delivery_order_fen bigint NOT NULL CHECK (min_delivery_order_fen >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, store_id),
  -- Composite key: a row can never point at another merchant's store.
  FOREIGN KEY (merchant_id, store_id) REFERENCES stores (merchant_id, id),
  CHECK ((lat IS NULL) = (lng IS NULL))
);
