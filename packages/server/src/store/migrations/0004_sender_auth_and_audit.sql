-- Sender authentication results, the policy decision and the capabilities it granted, per message (issue 3).
alter table messages add column sender_auth jsonb;
alter table messages add column policy_decision jsonb;
alter table messages add column capabilities text[] not null default '{}';

-- The policy audit log: one entry per inbound evaluation, hash-chained per mailbox. `seq` numbers a mailbox's
-- entries without gaps; each entry's hash covers its fields and the previous entry's hash.
create table policy_audit (
  mailbox_id uuid not null references mailboxes (id),
  seq bigint not null,
  account_id uuid not null references accounts (id),
  created_at timestamptz(3) not null,
  transport text not null,
  envelope_sender text,
  header_sender text,
  rule_index int,
  outcome text not null,
  action text not null,
  reason text,
  message_id uuid,
  body_sha256 text,
  capabilities text[] not null default '{}',
  prev_hash text not null,
  hash text not null,
  primary key (mailbox_id, seq)
);
create index policy_audit_time on policy_audit (mailbox_id, created_at);

-- Each mailbox's chain: its head (last entry) and its anchor (the last entry retention deleted; seq 0 and a zero
-- hash before any). Kept apart from the mailbox row, which inbound processing locks for other reasons.
create table audit_chains (
  mailbox_id uuid primary key references mailboxes (id),
  seq bigint not null default 0,
  head text not null default '0000000000000000000000000000000000000000000000000000000000000000',
  anchor_seq bigint not null default 0,
  anchor_hash text not null default '0000000000000000000000000000000000000000000000000000000000000000'
);
