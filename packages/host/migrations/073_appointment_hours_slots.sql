-- 服务通 appointments, continued: a store's working hours, its time slots with a count each, closed
-- dates (holidays) besides closed weekdays, and the merchant's reschedule limit.
--
-- A slot booking takes a seat of the store-day (070's counter) AND of its slot, each by one conditional
-- upsert under the counter's row lock, with `booked ≤ capacity` as a CHECK: neither is ever overbooked,
-- whichever host process books. Times are wall-clock times in the merchant's time zone.
ALTER TABLE store_service_capacity
  ADD COLUMN opens_at time,
  ADD COLUMN closes_at time,
  -- Slots: every slot_minutes from opens_at, each taking per_slot visits (both null: no slots).
  ADD COLUMN slot_minutes integer CHECK (slot_minutes IS NULL OR slot_minutes BETWEEN 15 AND 720),
  ADD COLUMN per_slot integer CHECK (per_slot IS NULL OR per_slot >= 0),
  ADD COLUMN closed_dates date[] NOT NULL DEFAULT '{}',
  ADD CONSTRAINT store_service_capacity_hours CHECK ((opens_at IS NULL) = (closes_at IS NULL) AND (opens_at IS NULL OR opens_at < closes_at)),
  ADD CONSTRAINT store_service_capacity_slots CHECK ((slot_minutes IS NULL) = (per_slot IS NULL) AND (slot_minutes IS NULL OR opens_at IS NOT NULL));

CREATE TABLE store_slot_bookings (
  merchant_id text NOT NULL,
  store_id text NOT NULL,
  kind text NOT NULL,
  day date NOT NULL,
  slot time NOT NULL,
  capacity integer NOT NULL CHECK (capacity >= 0),
  booked integer NOT NULL DEFAULT 0 CHECK (booked >= 0 AND booked <= capacity),
  PRIMARY KEY (merchant_id, store_id, kind, day, slot)
);

-- The slot an appointment holds (null: a day booking at a store without slots).
ALTER TABLE appointments ADD COLUMN slot time;

-- The merchant's service settings. No row: the platform default (2 reschedules).
CREATE TABLE service_settings (
  merchant_id text PRIMARY KEY REFERENCES merchants (id),
  max_reschedules integer NOT NULL CHECK (max_reschedules BETWEEN 0 AND 20),
  updated_at timestamptz NOT NULL DEFAULT now()
);
