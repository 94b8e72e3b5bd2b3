-- Outbound scanning and human review (issue 4): the scan and hold of each message, the reviewer's decision,
-- and the mailbox's review settings.
alter table messages add column scan jsonb;
alter table messages add column hold_context jsonb;
alter table messages add column review jsonb;
alter table mailboxes add column hitl_mode text not null default 'disabled'
  check (hitl_mode in ('disabled', 'all_outbound', 'risky_only'));
alter table mailboxes add column scanner_policy jsonb not null default '{}';
alter table mailboxes add column approval_expiry_hours int not null default 72 check (approval_expiry_hours >= 1);
create index messages_held on messages (account_id, created_at) where state in ('pending_review', 'quarantined');
