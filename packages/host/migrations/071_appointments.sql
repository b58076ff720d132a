-- 服务通 appointments: a store's service capacity per day (in the merchant's time zone) and the visits
-- booked against it. Overbooking is impossible: a booking increments the store-day's counter in one
-- statement that only succeeds below capacity (the row lock settles concurrent bookings), and the CHECK
-- holds it whatever a caller does.
CREATE TABLE store_service_capacity (
  merchant_id text NOT NULL,
  store_id text NOT NULL,
  -- The stage kind the capacity is for (e.g. 3 measurement visits a day).
  kind text NOT NULL,
  per_day integer NOT NULL CHECK (per_day >= 0),
  -- Closed days of the week, 0 = Sunday … 6 = Saturday.
  closed_weekdays integer[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (merchant_id, store_id, kind),
  FOREIGN KEY (merchant_id, store_id) REFERENCES stores (merchant_id, id)
);

CREATE TABLE store_day_bookings (
  merchant_id text NOT NULL,
  store_id text NOT NULL,
  kind text NOT NULL,
  day date NOT NULL,
  capacity integer NOT NULL CHECK (capacity >= 0),
  booked integer NOT NULL DEFAULT 0 CHECK (booked >= 0 AND booked <= capacity),
  PRIMARY KEY (merchant_id, store_id, kind, day)
);

CREATE TABLE appointments (
  merchant_id text NOT NULL,
  id text NOT NULL,
  order_id text NOT NULL,
  stage_no integer NOT NULL,
  store_id text NOT NULL,
  kind text NOT NULL,
  day date NOT NULL,
  status text NOT NULL CHECK (status IN ('booked', 'signed_in', 'completed', 'cancelled')),
  reschedules integer NOT NULL DEFAULT 0 CHECK (reschedules >= 0),
  notes text,
  photo_ids text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, id),
  FOREIGN KEY (merchant_id, order_id, stage_no) REFERENCES service_stages (merchant_id, order_id, stage_no)
);
-- One live appointment per stage.
CREATE UNIQUE INDEX appointments_live_stage_idx ON appointments (merchant_id, order_id, stage_no) WHERE status IN ('booked', 'signed_in');
