-- Checkout (会员通 at the till): the tiers' base benefits and the merchant's stacking per benefit class.
-- The base benefits are the `member.benefits.resolve` fallback, applied once when no install answered.
CREATE TABLE tier_benefits (
  merchant_id text NOT NULL REFERENCES merchants(id) ON DELETE CASCADE,
  tier_id text NOT NULL,
  discount_bp int NOT NULL CHECK (discount_bp BETWEEN 0 AND 10000),
  free_shipping boolean NOT NULL DEFAULT false,
  birthday_gift text,
  PRIMARY KEY (merchant_id, tier_id)
);

-- { "<benefit class>": "stack" | "best-of" | "exclusive" }; a class not named stacks.
CREATE TABLE checkout_settings (
  merchant_id text PRIMARY KEY REFERENCES merchants(id) ON DELETE CASCADE,
  stacking jsonb NOT NULL DEFAULT '{}'
);
