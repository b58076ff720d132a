-- Event ids belong to their merchant. With `events.id` alone as the key, a merchant publishing an id
-- another merchant had used was refused, which told it the id was taken (an oracle of other merchants'
-- orders) and let it claim a merchant's predictable ids (`order-<n>-paid`) before that merchant did.
-- Events are now keyed by (merchant_id, id), and deliveries by (merchant_id, event_id, install_id).
--
-- Existing rows fit the new keys as they are: every delivery was created for an install of its event's
-- merchant and copied that merchant's id, and the old keys were stricter than the new ones.

ALTER TABLE deliveries DROP CONSTRAINT deliveries_event_id_fkey;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_install_id_fkey;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_pkey;

-- The id leads each key: it is what a delivery joins its event on, and far more selective than the
-- merchant (see the dispatcher's claim for what a join on the merchant first cost).
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD PRIMARY KEY (id, merchant_id);

ALTER TABLE deliveries ADD PRIMARY KEY (event_id, install_id, merchant_id);
ALTER TABLE deliveries ADD FOREIGN KEY (event_id, merchant_id) REFERENCES events (id, merchant_id);
-- Composite, like the store overrides': a delivery can never point at another merchant's install.
ALTER TABLE deliveries ADD FOREIGN KEY (merchant_id, install_id) REFERENCES installs (merchant_id, id) ON DELETE CASCADE;
-- Serves the cascade when an install is removed, and "the deliveries of an install".
CREATE INDEX deliveries_install_idx ON deliveries (merchant_id, install_id);
