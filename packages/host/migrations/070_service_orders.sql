-- 服务通: service orders split into payment stages, payment intents and signed provider callbacks.
--
-- A service order is made from an order of kind `service` (same merchant, same ID); its stages come
-- from the `service.plan` point. Amounts are integer fen: stage amounts sum exactly to the order total
-- (the service keeps it true through re-prices; docs/service-orders.md). A stage's amount is fixed once
-- it is paid: the CHECK on service_stages and the service's re-price rule both hold it.
CREATE TABLE service_orders (
  merchant_id text NOT NULL REFERENCES merchants (id),
  id text NOT NULL,
  -- The buyer, from the order: stage payments are the member's spend.
  member_id text,
  total_fen bigint NOT NULL CHECK (total_fen >= 0),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'cancelled')),
  -- Where the plan came from: the plugin serving service.plan, or the platform's single full payment.
  plan_source text NOT NULL CHECK (plan_source IN ('plugin', 'fallback', 'platform')),
  plan_install_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, id),
  FOREIGN KEY (merchant_id, id) REFERENCES orders (merchant_id, id)
);

CREATE TABLE service_stages (
  merchant_id text NOT NULL,
  order_id text NOT NULL,
  stage_no integer NOT NULL CHECK (stage_no BETWEEN 1 AND 10),
  kind text NOT NULL CHECK (kind IN ('design_order', 'measurement', 'design_delivery', 'install_appointment', 'installation', 'custom')),
  label text,
  ratio_bps integer NOT NULL CHECK (ratio_bps BETWEEN 0 AND 10000),
  amount_fen bigint NOT NULL CHECK (amount_fen >= 0),
  needs_appointment boolean NOT NULL,
  refundable boolean NOT NULL,
  due text NOT NULL CHECK (due IN ('on_creation', 'after_previous_completes', 'after_completion')),
  state text NOT NULL CHECK (state IN ('pending', 'payable', 'paid', 'scheduled', 'completed', 'cancelled', 'refunded')),
  -- What the provider captured for the stage (0 until paid); never differs from amount_fen once paid.
  paid_fen bigint NOT NULL DEFAULT 0 CHECK (paid_fen >= 0),
  refunded_fen bigint NOT NULL DEFAULT 0 CHECK (refunded_fen BETWEEN 0 AND paid_fen),
  PRIMARY KEY (merchant_id, order_id, stage_no),
  FOREIGN KEY (merchant_id, order_id) REFERENCES service_orders (merchant_id, id),
  CHECK (kind <> 'custom' OR label IS NOT NULL),
  CHECK (paid_fen = 0 OR paid_fen = amount_fen)
);

-- Every transition of a stage: who, when, why. Written in the transaction of the change.
CREATE TABLE service_stage_transitions (
  merchant_id text NOT NULL,
  order_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  stage_no integer NOT NULL,
  from_state text NOT NULL,
  to_state text NOT NULL,
  actor text NOT NULL,
  reason text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, order_id, seq),
  FOREIGN KEY (merchant_id, order_id, stage_no) REFERENCES service_stages (merchant_id, order_id, stage_no)
);

-- A payment intent asks the provider for a stage's exact amount. A re-price voids the open intents of
-- the stages it changes; a paid intent is the one the stage was paid by.
CREATE TABLE payment_intents (
  merchant_id text NOT NULL,
  id text PRIMARY KEY,
  order_id text NOT NULL,
  stage_no integer NOT NULL,
  amount_fen bigint NOT NULL CHECK (amount_fen > 0),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'voided')),
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (merchant_id, order_id, stage_no) REFERENCES service_stages (merchant_id, order_id, stage_no)
);
CREATE INDEX payment_intents_stage_idx ON payment_intents (merchant_id, order_id, stage_no);
-- At most one open intent per stage: paying twice starts from the same intent.
CREATE UNIQUE INDEX payment_intents_open_idx ON payment_intents (merchant_id, order_id, stage_no) WHERE status = 'open';

-- The per-merchant secrets provider callbacks are signed with; `kid` names one, so secrets rotate by
-- adding a new kid and retiring the old one.
CREATE TABLE payment_secrets (
  kid text PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9_.-]{1,64}$'),
  merchant_id text NOT NULL REFERENCES merchants (id),
  secret bytea NOT NULL CHECK (length(secret) >= 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);
CREATE INDEX payment_secrets_merchant_idx ON payment_secrets (merchant_id);

-- Genuine (signature-verified) callbacks, one per provider payment ID: the dedup key. `applied` paid a
-- stage; `unmatched` is captured money that could not apply (wrong amount, voided intent, stage already
-- paid): it is refunded through the provider and shown to the operator, never dropped.
CREATE TABLE payment_callbacks (
  merchant_id text NOT NULL REFERENCES merchants (id),
  provider_payment_id text NOT NULL,
  intent_id text,
  amount_fen bigint NOT NULL CHECK (amount_fen >= 0),
  outcome text NOT NULL CHECK (outcome IN ('applied', 'unmatched')),
  reason text,
  refund_status text CHECK (refund_status IN ('refunded', 'pending')),
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, provider_payment_id)
);
CREATE INDEX payment_callbacks_unmatched_idx ON payment_callbacks (merchant_id, received_at DESC) WHERE outcome = 'unmatched';

-- Callbacks refused before they could touch anything (forged, expired, replayed, unknown kid): logged
-- with the reason, never applied. No merchant key: a forged callback's claims are not trusted.
CREATE TABLE payment_callback_rejections (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kid text,
  reason text NOT NULL CHECK (reason IN ('bad_signature', 'unknown_kid', 'expired', 'replayed', 'malformed')),
  received_at timestamptz NOT NULL DEFAULT now()
);

-- Refunds of stages and of unmatched callbacks, through the provider (the fake one in development).
CREATE TABLE payment_refunds (
  merchant_id text NOT NULL,
  id text PRIMARY KEY,
  provider_payment_id text NOT NULL,
  order_id text,
  stage_no integer,
  amount_fen bigint NOT NULL CHECK (amount_fen > 0),
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_refunds_order_idx ON payment_refunds (merchant_id, order_id);
