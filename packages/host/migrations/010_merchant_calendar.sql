-- The merchant calendar and the fact's time of events.
--
-- Every calendar rule of the domain (12-month spend windows, "birthday this month", daily capacity,
-- monthly statements, cron slots) is computed in the merchant's IANA time zone; storage stays UTC. The
-- name is checked by the host (against the zones its ICU knows) before it is written.
ALTER TABLE merchants ADD COLUMN time_zone text NOT NULL DEFAULT 'Asia/Shanghai' CHECK (time_zone ~ '^[A-Za-z0-9_+/-]{1,64}$');

-- When the fact an event announces happened (an order's paidAt, a refund's refundedAt). Handlers get it
-- as occurredAt, so a delayed delivery decides as it would have at the time; NULL (events published
-- before this, or facts without a time of their own) falls back to created_at.
ALTER TABLE events ADD COLUMN occurred_at timestamptz;

-- Plugin KV entries stored with a member (`ctx.kv.set(key, value, { memberId })`): the host purges them
-- itself when the member asks to be erased.
ALTER TABLE plugin_kv ADD COLUMN member_id text;
CREATE INDEX plugin_kv_member_idx ON plugin_kv (member_id) WHERE member_id IS NOT NULL;
