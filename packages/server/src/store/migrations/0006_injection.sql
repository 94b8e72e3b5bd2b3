-- Prompt-injection scores and quarantine; the account's inbound blocklist (issue 4).
alter table messages add column injection_score real;
alter table messages add column injection_reasons jsonb not null default '[]';
alter table mailboxes add column injection_threshold real not null default 0.8
  check (injection_threshold > 0 and injection_threshold <= 1);

create table inbound_blocklist (
  account_id uuid not null references accounts (id),
  address text not null,
  reason text,
  created_at timestamptz(3) not null default now(),
  primary key (account_id, address)
);
