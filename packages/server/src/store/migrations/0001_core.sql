-- Core schema: tenants, keys, mailboxes, messages, threads, the delivery queue and the event log.

create table accounts (
  id uuid primary key,
  name text not null,
  is_default boolean not null default false,
  created_at timestamptz(3) not null default now()
);
create unique index accounts_single_default on accounts (is_default) where is_default;

create table api_keys (
  id uuid primary key,
  account_id uuid not null references accounts (id),
  key_id text not null unique,
  secret_hash text not null,
  role text not null check (role in ('admin', 'agent', 'ingest')),
  mailbox_ids uuid[] not null default '{}',
  name text,
  created_at timestamptz(3) not null default now(),
  last_used_at timestamptz(3),
  revoked_at timestamptz(3)
);
create index api_keys_account on api_keys (account_id, created_at);

create table mailboxes (
  id uuid primary key,
  account_id uuid not null references accounts (id),
  name text not null,
  display_name text,
  -- Arrival counter: bumped under the row lock, so per-mailbox order equals commit order.
  inbound_seq bigint not null default 0,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now(),
  deleted_at timestamptz(3)
);
create unique index mailboxes_live_name on mailboxes (name) where deleted_at is null;
create index mailboxes_account on mailboxes (account_id, created_at);

create table threads (
  id uuid primary key,
  account_id uuid not null references accounts (id),
  mailbox_id uuid not null references mailboxes (id),
  subject text not null default '',
  subject_key text not null default '',
  participants text[] not null default '{}',
  message_count int not null default 0,
  last_message_at timestamptz(3) not null default now(),
  created_at timestamptz(3) not null default now()
);
create index threads_mailbox_recent on threads (mailbox_id, last_message_at desc, id desc);
create index threads_subject on threads (mailbox_id, subject_key, last_message_at desc);

create table messages (
  id uuid primary key,
  -- Acceptance order; processing follows it so a mailbox's messages become available in arrival order.
  arrival bigint generated always as identity,
  account_id uuid not null references accounts (id),
  mailbox_id uuid not null references mailboxes (id),
  direction text not null check (direction in ('inbound', 'outbound')),
  state text not null,
  raw_sha256 text not null,
  raw_size int not null,
  -- transport, client_ip, helo, mail_from, rcpt_to: exactly what the peer told us.
  envelope jsonb not null default '{}',
  internet_message_id text,
  sender text,
  sender_name text,
  recipient text,
  to_addrs jsonb not null default '[]',
  cc_addrs jsonb not null default '[]',
  bcc_addrs jsonb not null default '[]',
  reply_to jsonb not null default '[]',
  subject text,
  sent_at timestamptz(3),
  thread_id uuid references threads (id),
  in_reply_to text,
  references_ids text[] not null default '{}',
  body_text text,
  body_html text,
  attachments jsonb not null default '[]',
  parse_error text,
  inbound_seq bigint,
  read_at timestamptz(3),
  process_attempts int not null default 0,
  locked_until timestamptz(3),
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index messages_pending on messages (arrival) where state = 'received';
create index messages_mailbox_list on messages (mailbox_id, created_at desc, id desc);
create unique index messages_mailbox_seq on messages (mailbox_id, inbound_seq) where inbound_seq is not null;
create index messages_mailbox_msgid on messages (mailbox_id, internet_message_id);
create index messages_thread on messages (thread_id, created_at);

-- Raw bytes of accepted messages until processing has written them to the blob store: the SMTP 250 waits only
-- for this (batched) insert, not for a file write.
create table inbound_spool (
  message_id uuid primary key,
  raw bytea not null
);

create table deliveries (
  id uuid primary key,
  account_id uuid not null references accounts (id),
  message_id uuid not null references messages (id),
  recipient text not null,
  state text not null check (state in ('queued', 'delivered', 'bounced')),
  attempts int not null default 0,
  next_attempt_at timestamptz(3) not null default now(),
  locked_until timestamptz(3),
  locked_by text,
  last_code int,
  last_response text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now(),
  finished_at timestamptz(3)
);
create index deliveries_due on deliveries (next_attempt_at) where state = 'queued';
create index deliveries_message on deliveries (message_id);

create table delivery_attempts (
  id uuid primary key,
  delivery_id uuid not null references deliveries (id),
  worker text not null,
  started_at timestamptz(3) not null,
  finished_at timestamptz(3) not null default now(),
  outcome text not null check (outcome in ('delivered', 'deferred', 'bounced')),
  code int,
  response text not null,
  remote_host text
);
create index delivery_attempts_delivery on delivery_attempts (delivery_id, started_at);

create table idempotency_keys (
  account_id uuid not null references accounts (id),
  key text not null,
  request_hash text not null,
  status_code int,
  response jsonb,
  created_at timestamptz(3) not null default now(),
  primary key (account_id, key)
);

create table events (
  id bigserial primary key,
  account_id uuid not null references accounts (id),
  mailbox_id uuid,
  type text not null,
  data jsonb not null default '{}',
  created_at timestamptz(3) not null default now()
);
create index events_account on events (account_id, id);
