-- Integration tokens: what a merchant issues to its own systems (a POS, an ERP, an order-sync job) so they
-- can record orders and refunds without the merchant's own token. An integration token belongs to one
-- merchant and reaches only the routes that declare the `integration` role (orders in, refunds); the route
-- layer resolves the tenant from the token, like a store token's. It carries a name, so the merchant can
-- tell its integrations apart when it lists and revokes them (the token itself is only stored as a hash).

ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('developer', 'reviewer', 'merchant', 'admin', 'store', 'staff', 'integration'));
ALTER TABLE api_tokens ADD COLUMN name text CHECK (name IS NULL OR (name <> '' AND length(name) <= 64));
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_scope_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_scope_check CHECK (
  CASE role
    WHEN 'store' THEN id IS NOT NULL AND merchant_id IS NOT NULL AND store_id IS NOT NULL AND staff_id IS NULL
    WHEN 'staff' THEN id IS NOT NULL AND merchant_id IS NOT NULL AND staff_id IS NOT NULL
    WHEN 'integration' THEN id IS NOT NULL AND merchant_id IS NOT NULL AND name IS NOT NULL AND store_id IS NULL AND staff_id IS NULL
    ELSE store_id IS NULL AND staff_id IS NULL
  END
);
