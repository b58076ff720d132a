-- Schedule claims: one row per (owner, merchant, schedule, slot) a host process claimed. The primary key
-- is the claim: several host processes evaluating the same cron insert the same row with
-- ON CONFLICT DO NOTHING, and only the one whose insert lands runs the slot.
--   owner = 'install:<id>' (a plugin's cron trigger: the claim and its schedule.fired event commit in one
--           transaction, so the event exists exactly once and the outbox delivers it at least once)
--         | 'host:<module>' (a host module's internal schedule, merchant_id ''): status 'running' with a
--           lease until it finishes; a claim whose lease ran out (the process died) is taken over.
-- missed_slots counts the older slots since the previous claim that were skipped (see docs/schedules.md).
CREATE TABLE schedule_claims (
  owner text NOT NULL,
  merchant_id text NOT NULL,
  schedule text NOT NULL,
  slot timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'done' CHECK (status IN ('running', 'done', 'failed')),
  missed_slots integer NOT NULL DEFAULT 0 CHECK (missed_slots >= 0),
  first_missed_slot timestamptz,
  event_id text,
  claimed_by text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  finished_at timestamptz,
  last_error text,
  PRIMARY KEY (owner, merchant_id, schedule, slot)
);
-- The previous claim of a schedule (to count what was missed since).
CREATE INDEX schedule_claims_latest_idx ON schedule_claims (owner, merchant_id, schedule, slot DESC);
