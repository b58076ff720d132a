-- 服务通 e-vouchers: templates (a service or a value, validity, the stores where valid) and vouchers
-- issued to members with their counts. initial = available + locked + used always (CHECK); a
-- redemption takes one from available in a single conditional UPDATE, so two stores redeeming the last
-- use at once redeem it once.
CREATE TABLE voucher_templates (
  merchant_id text NOT NULL REFERENCES merchants (id),
  id text NOT NULL CHECK (id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
  title text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('free_service', 'value')),
  -- The stage kind a free service covers (e.g. measurement), or the value in fen of a value voucher.
  service_kind text,
  value_fen bigint CHECK (value_fen IS NULL OR value_fen > 0),
  uses integer NOT NULL DEFAULT 1 CHECK (uses BETWEEN 1 AND 100),
  valid_days integer NOT NULL CHECK (valid_days BETWEEN 1 AND 3660),
  -- Empty: valid in every store of the merchant.
  store_ids text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (merchant_id, id),
  CHECK ((kind = 'free_service') = (service_kind IS NOT NULL)),
  CHECK ((kind = 'value') = (value_fen IS NOT NULL))
);

CREATE TABLE vouchers (
  merchant_id text NOT NULL,
  serial text NOT NULL,
  template_id text NOT NULL,
  member_id text,
  -- Issued for a stage of a service order, or as a gift (both null).
  order_id text,
  stage_no integer,
  initial integer NOT NULL CHECK (initial > 0),
  available integer NOT NULL CHECK (available >= 0),
  locked integer NOT NULL DEFAULT 0 CHECK (locked >= 0),
  used integer NOT NULL DEFAULT 0 CHECK (used >= 0),
  valid_until timestamptz NOT NULL,
  issue_key text NOT NULL,
  issued_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, serial),
  UNIQUE (merchant_id, issue_key),
  FOREIGN KEY (merchant_id, template_id) REFERENCES voucher_templates (merchant_id, id),
  CHECK (initial = available + locked + used)
);
CREATE INDEX vouchers_member_idx ON vouchers (merchant_id, member_id) WHERE member_id IS NOT NULL;

CREATE TABLE voucher_redemptions (
  merchant_id text NOT NULL,
  id text NOT NULL,
  serial text NOT NULL,
  store_id text NOT NULL,
  -- The caller's request ID: a retried redemption is the same redemption.
  request_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('used', 'reversed')),
  redeemed_at timestamptz NOT NULL DEFAULT now(),
  reversed_at timestamptz,
  PRIMARY KEY (merchant_id, id),
  UNIQUE (merchant_id, request_id),
  FOREIGN KEY (merchant_id, serial) REFERENCES vouchers (merchant_id, serial)
);
