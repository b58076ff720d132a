-- Members (会员通): opaque per-merchant member IDs, their CRM bindings, and their personal data kept apart.
--
-- What is never stored here: a phone number, name or birthday in clear, or any key. Personal data is one
-- AES-256-GCM ciphertext per member (member_pii); matching a phone uses an HMAC-SHA256 digest under a
-- per-merchant key derived from the host key (HKDF with the merchant ID), so the same phone at two
-- merchants gives unrelated digests and a dump of this database cannot be brute-forced without the key,
-- which lives in configuration or a key file beside, never inside, the PostgreSQL data folder. Each
-- ciphertext and digest records the ID of the key that made it, for rotation.
CREATE TABLE members (
  merchant_id text NOT NULL REFERENCES merchants (id),
  id text NOT NULL CHECK (id ~ '^mem_[0-9a-z]{20,40}$'),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleted')),
  channel text NOT NULL CHECK (channel IN ('online', 'store')),
  store_id text,
  -- The caller's idempotency key of the registration, with the hash of its request: the same key with
  -- the same request is a duplicate, with another TK_CONFLICT.
  registration_key text,
  registration_hash text,
  -- Digest of the normalised phone number (hex HMAC-SHA256) and the key that made it; NULL when the
  -- member gave none, or was erased.
  phone_digest text CHECK (phone_digest ~ '^[0-9a-f]{64}$'),
  phone_key_id text,
  registered_at timestamptz NOT NULL,
  deleted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, id),
  FOREIGN KEY (merchant_id, store_id) REFERENCES stores (merchant_id, id),
  UNIQUE (merchant_id, registration_key),
  CHECK ((phone_digest IS NULL) = (phone_key_id IS NULL)),
  CHECK ((status = 'deleted') = (deleted_at IS NOT NULL))
);
-- One member per phone and merchant (the digest is per merchant already; the key ID tells digests made
-- under different keys apart during a rotation).
CREATE UNIQUE INDEX members_phone_idx ON members (merchant_id, phone_key_id, phone_digest) WHERE phone_digest IS NOT NULL;

-- The member's personal data: AES-256-GCM of a JSON object {phone, name, birthday}, with the key ID, the
-- 12-byte IV and the 16-byte tag. The authenticated data is the (merchant, member) pair, so a ciphertext
-- moved to another member's row does not decrypt.
CREATE TABLE member_pii (
  merchant_id text NOT NULL,
  member_id text NOT NULL,
  key_id text NOT NULL,
  iv bytea NOT NULL CHECK (length(iv) = 12),
  tag bytea NOT NULL CHECK (length(tag) = 16),
  ciphertext bytea NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, member_id),
  FOREIGN KEY (merchant_id, member_id) REFERENCES members (merchant_id, id)
);
CREATE INDEX member_pii_key_idx ON member_pii (key_id);

-- A member's binding to the brand CRM's member: at most one per member and one per CRM member, with the
-- consent the member gave (text version and time). Unbinding deletes the row; the member stays.
CREATE TABLE member_bindings (
  merchant_id text NOT NULL,
  member_id text NOT NULL,
  crm_member_id text NOT NULL CHECK (crm_member_id <> ''),
  consent_version text NOT NULL CHECK (consent_version <> ''),
  consented_at timestamptz NOT NULL,
  bound_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, member_id),
  UNIQUE (merchant_id, crm_member_id),
  FOREIGN KEY (merchant_id, member_id) REFERENCES members (merchant_id, id)
);
