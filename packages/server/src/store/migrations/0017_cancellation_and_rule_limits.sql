-- What a deleted mailbox had scheduled is cancelled, not sent (issue 10): drafts and queued deliveries get a state
-- that says so.
alter table drafts drop constraint drafts_state_check;
alter table drafts add constraint drafts_state_check
  check (state in ('draft', 'sending', 'scheduled', 'sent', 'cancelled'));
alter table deliveries drop constraint deliveries_state_check;
alter table deliveries add constraint deliveries_state_check
  check (state in ('queued', 'delivered', 'bounced', 'cancelled'));

-- Automatic mail sent by a mailbox's rules in the last hour (auto-replies and forwards), for their per-mailbox
-- hourly ceilings: a sliding window, pruned as it is written.
create table rule_send_log (
  mailbox_id uuid not null references mailboxes (id) on delete cascade,
  kind text not null check (kind in ('auto_reply', 'forward')),
  sent_at timestamptz(3) not null default now()
);
create index rule_send_log_window on rule_send_log (mailbox_id, kind, sent_at);
