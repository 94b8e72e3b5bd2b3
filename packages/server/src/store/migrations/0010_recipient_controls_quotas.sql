-- Recipient controls, suppressions and send quotas (issue 5).
create table suppressions (
  account_id uuid not null references accounts (id),
  -- An address (lower-cased) or a bare domain "@corp.com" (that exact domain, not its subdomains).
  email text not null,
  reason text not null check (reason in ('hard_bounce', 'complaint', 'manual', 'unsubscribe')),
  source text,
  detail text,
  expires_at timestamptz(3),
  created_at timestamptz(3) not null default now(),
  primary key (account_id, email)
);

alter table mailboxes add column recipient_policy text not null default 'blocklist'
  check (recipient_policy in ('blocklist', 'allowlist'));
-- Per-mailbox send quotas: [{"window_seconds": 3600, "limit": 100}, …]; empty = no mailbox quota.
alter table mailboxes add column send_quotas jsonb not null default '[]';
-- Account-wide daily cap; null = the operator's default (POSTBOX_ACCOUNT_DAILY_SEND_CAP).
alter table accounts add column daily_send_cap int;

create table mailbox_allowlist (
  mailbox_id uuid not null references mailboxes (id) on delete cascade,
  email text not null,
  created_at timestamptz(3) not null default now(),
  primary key (mailbox_id, email)
);

-- Append-only: every send the allowlist refused.
create table allowlist_blocked_attempts (
  id bigserial primary key,
  account_id uuid not null references accounts (id),
  mailbox_id uuid not null references mailboxes (id) on delete cascade,
  email text not null,
  api_key_id uuid,
  created_at timestamptz(3) not null default now()
);
create index allowlist_blocked_attempts_mailbox on allowlist_blocked_attempts (mailbox_id, created_at desc);
create index allowlist_blocked_attempts_recipient on allowlist_blocked_attempts (mailbox_id, email, created_at desc);

-- Fixed windows: one row per (scope, window length, window start).
create table send_counters (
  scope text not null,
  window_seconds int not null,
  window_start timestamptz(0) not null,
  count int not null default 0,
  primary key (scope, window_seconds, window_start)
);
