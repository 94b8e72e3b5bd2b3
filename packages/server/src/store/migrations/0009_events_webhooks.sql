-- Events and webhooks (issue 5). The feed is read per account in id order (index events_account); writers of
-- one account's events take a transaction-scoped advisory lock, so ids follow commit order (decision 0008).

create table webhooks (
  id uuid primary key,
  account_id uuid not null references accounts (id),
  url text not null,
  description text,
  enabled_events text[] not null,
  enabled boolean not null default true,
  secret text not null,
  -- During a rotation's grace window deliveries are signed with both secrets.
  previous_secret text,
  previous_secret_until timestamptz(3),
  -- Deliveries abandoned in a row; reset by a success. At the limit the webhook is disabled.
  consecutive_abandoned int not null default 0,
  disabled_at timestamptz(3),
  disabled_reason text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index webhooks_account on webhooks (account_id, created_at, id);

-- One row per (webhook, event): created in the event's own transaction, so none is lost; attempted by a worker
-- holding a lease, so a crash mid-delivery leads to a redelivery, never to silence.
create table webhook_deliveries (
  id uuid primary key,
  webhook_id uuid not null references webhooks (id) on delete cascade,
  account_id uuid not null references accounts (id),
  event_id bigint references events (id),
  event_type text not null,
  -- Test deliveries carry their own payload; event deliveries are built from the event when sent.
  payload jsonb,
  state text not null default 'pending' check (state in ('pending', 'delivered', 'failed')),
  attempts int not null default 0,
  next_attempt_at timestamptz(3) not null default now(),
  locked_until timestamptz(3),
  last_status int,
  last_error text,
  last_attempt_at timestamptz(3),
  delivered_at timestamptz(3),
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where state = 'pending';
create index webhook_deliveries_list on webhook_deliveries (webhook_id, created_at desc, id desc);
