-- Webhook delivery of the notification outbox (ARCHITECTURE §6): endpoints registered per
-- recipient ({county, department | role}, the same shape as a notifications row), one delivery per
-- (notification, endpoint), and every HTTP attempt. The dispatcher (worker/webhook-dispatcher.ts)
-- creates delivery rows by scanning notifications, so writing an event never depends on webhooks.

CREATE TABLE webhook_endpoints (
  id            bigserial PRIMARY KEY,
  county        text NOT NULL CHECK (county ~ '^[0-9]{6}$'),   -- recipient division (county, city, province)
  target_kind   text NOT NULL CHECK (target_kind IN ('department', 'role')),
  target_value  text NOT NULL,                                  -- department code or role
  url           text NOT NULL CHECK (url ~ '^https?://'),
  -- HMAC-SHA256 key the payloads are signed with. Needed in clear to sign; the API never returns it.
  secret        text NOT NULL CHECK (length(secret) >= 32),
  active        boolean NOT NULL DEFAULT true,
  -- Notifications created from this time on are delivered (set on creation and on re-activation),
  -- so registering or re-activating an endpoint never replays the backlog.
  active_since  timestamptz NOT NULL DEFAULT now(),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  updated_by    text,                                           -- API key id
  UNIQUE (county, target_kind, target_value)
);

-- One row per (notification, endpoint): the unique key is what makes a delivered notification
-- never be sent again to the same endpoint, however many dispatchers run.
CREATE TABLE webhook_deliveries (
  id               bigserial PRIMARY KEY,
  notification_id  text NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
  endpoint_id      bigint NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz,                                 -- null once delivered or dead
  last_status      integer,                                     -- HTTP status of the last attempt, if any
  last_error       text,                                        -- e.g. 'HTTP 500', 'timeout', 'ECONNREFUSED': never a body or a secret
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  UNIQUE (notification_id, endpoint_id),
  CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, status);

-- Every HTTP try, for operators: when, what came back (status code or error), how long it took.
CREATE TABLE webhook_attempts (
  id           bigserial PRIMARY KEY,
  delivery_id  bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt      integer NOT NULL,
  at           timestamptz NOT NULL,
  status_code  integer,
  error        text,
  duration_ms  integer NOT NULL,
  UNIQUE (delivery_id, attempt)
);
