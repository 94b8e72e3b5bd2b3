-- The seed's wire for recipient and sender lists, and webhook health (issue 13).

-- Who added an entry, and through what: 'customer' (an API key), or the system that did it (bounce handling's
-- 'dsn', 'arf', 'provider'; a moderator's 'report').
alter table suppressions add column added_by_actor_type text;
alter table suppressions add column added_by_actor_id text;
update suppressions set source = 'customer' where source = 'api';
update suppressions set added_by_actor_type = 'system' where source is distinct from 'customer';

alter table mailbox_allowlist add column source text not null default 'customer';
alter table mailbox_allowlist add column added_by_actor_type text;
alter table mailbox_allowlist add column added_by_actor_id text;

alter table inbound_blocklist add column source text not null default 'customer';
alter table inbound_blocklist add column added_by_actor_type text;
alter table inbound_blocklist add column added_by_actor_id text;

-- Where a send the outbound allowlist refused came from: 'send', 'reply' or 'rule'.
alter table allowlist_blocked_attempts add column origin text;

-- The mailbox's inbound sender allowlist as rows (it was the array mailboxes.inbound_sender_allowlist): one source
-- of truth for PATCH /v1/mailboxes/:id and /v1/mailboxes/:id/inbound-allowlist, and the inbound firewall.
create table mailbox_sender_allowlist (
  mailbox_id uuid not null references mailboxes (id) on delete cascade,
  -- An address (lower-cased) or a bare domain "@corp.com".
  email text not null,
  source text not null default 'customer',
  added_by_actor_type text,
  added_by_actor_id text,
  created_at timestamptz(3) not null default now(),
  primary key (mailbox_id, email)
);
insert into mailbox_sender_allowlist (mailbox_id, email, created_at)
  select m.id, e.email, m.updated_at from mailboxes m, unnest(m.inbound_sender_allowlist) as e(email)
  where m.inbound_sender_allowlist is not null
  on conflict do nothing;
alter table mailboxes drop column inbound_sender_allowlist;

-- Append-only: every inbound message the firewall stopped (blocklist or sender allowlist), per mailbox.
create table inbound_blocked_attempts (
  id bigserial primary key,
  account_id uuid not null references accounts (id),
  mailbox_id uuid not null references mailboxes (id) on delete cascade,
  message_id uuid,
  envelope_sender text,
  from_address text,
  matched_field text,
  matched_pattern text,
  matched_list text,
  reason_code text not null,
  mode text not null,
  created_at timestamptz(3) not null default now()
);
create index inbound_blocked_attempts_mailbox on inbound_blocked_attempts (mailbox_id, created_at desc);
insert into inbound_blocked_attempts (account_id, mailbox_id, message_id, envelope_sender, from_address,
    matched_field, matched_pattern, matched_list, reason_code, mode, created_at)
  select account_id, mailbox_id, id, firewall_block ->> 'envelope_sender', firewall_block ->> 'from_address',
    firewall_block ->> 'matched_field', firewall_block ->> 'matched_pattern', firewall_block ->> 'matched_list',
    firewall_block ->> 'reason_code', coalesce(firewall_block ->> 'mode', 'blocklist'), created_at
  from messages where firewall_block is not null and firewall_block ->> 'reason_code' is not null
  order by created_at;

-- A webhook's health as its deliveries leave it: maintained by the dispatcher on each attempt's outcome.
alter table webhooks add column last_success_at timestamptz(3);
alter table webhooks add column last_failure_at timestamptz(3);
alter table webhooks add column last_error text;
update webhooks w set last_success_at = d.at
  from (select webhook_id, max(delivered_at) as at from webhook_deliveries where delivered_at is not null
        group by webhook_id) d
  where d.webhook_id = w.id;
update webhooks w set last_failure_at = d.last_attempt_at, last_error = d.last_error
  from (select distinct on (webhook_id) webhook_id, last_attempt_at, last_error from webhook_deliveries
        where last_error is not null and last_attempt_at is not null
        order by webhook_id, last_attempt_at desc) d
  where d.webhook_id = w.id;
