-- Retention and legal holds (issue 14). Retention in days: a mailbox's own, else its account's, else the operator's
-- POSTBOX_RETENTION_DAYS (null means "inherit"). The retention job deletes settled mail older than that, with its
-- bytes, unless a legal hold covers the mailbox or its account.
alter table accounts add column retention_days int check (retention_days >= 1);
alter table mailboxes add column retention_days int check (retention_days >= 1);

-- A hold is never deleted: released holds stay as the record of what was preserved, when and why.
create table legal_holds (
  id uuid primary key,
  account_id uuid not null references accounts (id),
  scope text not null check (scope in ('account', 'mailbox')),
  mailbox_id uuid references mailboxes (id),
  reason text not null,
  case_reference text,
  applied_at timestamptz(3) not null,
  applied_by_type text not null,
  applied_by_id text,
  released_at timestamptz(3),
  released_by_type text,
  released_by_id text,
  release_reason text,
  check ((scope = 'mailbox') = (mailbox_id is not null))
);
create index legal_holds_account on legal_holds (account_id, applied_at desc, id desc);
create index legal_holds_active on legal_holds (account_id, mailbox_id) where released_at is null;

-- The blob sweep asks which of a batch of stored blobs are still referenced; without these it would scan the tables.
create index messages_raw_sha256 on messages (raw_sha256);
create index bounce_reports_raw_sha256 on bounce_reports (raw_sha256) where raw_sha256 is not null;
