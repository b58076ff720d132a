-- One-item-one-code (一物一码): product codes a merchant registers in batches (code → SKU), and every scan.
-- A verify scan (a shopper checking a code before buying) changes nothing about the code; the claim at the
-- sale happens once — the row's claimed_* columns, set by one UPDATE … WHERE claimed_at IS NULL, so two
-- concurrent claims serialize on the row and the second finds it claimed (a possible counterfeit).

CREATE TABLE product_codes (
  merchant_id text NOT NULL REFERENCES merchants (id),
  code text NOT NULL CHECK (length(code) BETWEEN 1 AND 128),
  sku text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
  batch text NOT NULL CHECK (length(batch) BETWEEN 1 AND 64),
  registered_at timestamptz NOT NULL DEFAULT now(),
  claimed_at timestamptz,
  claimed_store_id text,
  claimed_scan_id text,
  PRIMARY KEY (merchant_id, code),
  CHECK ((claimed_at IS NULL) = (claimed_store_id IS NULL))
);

-- Every scan, idempotent by the caller's scan id; a refused second claim is kept with result
-- 'counterfeit_suspected' (both scans' stores and times are then on record).
CREATE TABLE code_scans (
  merchant_id text NOT NULL REFERENCES merchants (id),
  scan_id text NOT NULL CHECK (length(scan_id) BETWEEN 1 AND 128),
  kind text NOT NULL CHECK (kind IN ('verify', 'claim')),
  code text NOT NULL,
  store_id text NOT NULL,
  request_hash text NOT NULL,
  outcome text,
  result jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, scan_id),
  FOREIGN KEY (merchant_id, store_id) REFERENCES stores (merchant_id, id)
);
CREATE INDEX code_scans_code_idx ON code_scans (merchant_id, code, created_at);
CREATE INDEX code_scans_counterfeit_idx ON code_scans (merchant_id, created_at DESC) WHERE outcome = 'counterfeit_suspected';
