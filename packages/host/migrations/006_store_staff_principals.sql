-- Principals finer than a merchant: tokens a merchant issues to one of its stores (the staff at the
-- till accept allocations, consume pickup codes, sign technicians in) or to one staff member (a guide
-- shares links and sees only their own members), and revokes. A store or staff token is scoped to one
-- merchant and one store or staff member; the route layer resolves each resource's tenant against it.

CREATE TABLE staff (
  merchant_id text NOT NULL REFERENCES merchants (id),
  id text NOT NULL CHECK (id <> ''),
  name text NOT NULL CHECK (name <> ''),
  -- The store the staff member works at, if any (a guide of one store).
  store_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, id),
  FOREIGN KEY (merchant_id, store_id) REFERENCES stores (merchant_id, id)
);

ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('developer', 'reviewer', 'merchant', 'admin', 'store', 'staff'));
-- A merchant revokes the tokens it issued by this id (the token itself is only ever stored as a hash).
ALTER TABLE api_tokens ADD COLUMN id text UNIQUE CHECK (id ~ '^tok_[A-Za-z0-9_-]{8,64}$');
ALTER TABLE api_tokens ADD COLUMN merchant_id text REFERENCES merchants (id);
ALTER TABLE api_tokens ADD COLUMN store_id text;
ALTER TABLE api_tokens ADD COLUMN staff_id text;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_store_fk FOREIGN KEY (merchant_id, store_id) REFERENCES stores (merchant_id, id);
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_staff_fk FOREIGN KEY (merchant_id, staff_id) REFERENCES staff (merchant_id, id);
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_scope_check CHECK (
  CASE role
    WHEN 'store' THEN id IS NOT NULL AND merchant_id IS NOT NULL AND store_id IS NOT NULL AND staff_id IS NULL
    WHEN 'staff' THEN id IS NOT NULL AND merchant_id IS NOT NULL AND staff_id IS NOT NULL
    ELSE store_id IS NULL AND staff_id IS NULL
  END
);
-- "The store and staff tokens of a merchant".
CREATE INDEX api_tokens_merchant_idx ON api_tokens (merchant_id) WHERE merchant_id IS NOT NULL;
