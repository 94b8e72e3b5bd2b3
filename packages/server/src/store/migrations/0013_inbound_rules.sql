-- Inbound rules and the loop guard (issue 5).
-- Why a message counts as automated (RFC 3834 and friends), or null for a person's mail.
alter table messages add column auto_submitted text;
alter table messages add column labels text[] not null default '{}';
-- What the mailbox's rules did with the message: [{rule, action, outcome, detail}].
alter table messages add column rules_applied jsonb;

create table mailbox_rules (
  mailbox_id uuid primary key references mailboxes (id) on delete cascade,
  rules jsonb not null default '[]',
  auto_reply_period_hours int not null default 24,
  updated_at timestamptz(3) not null default now()
);

-- Messages whose rules are still to run: written with the message's availability, so none is skipped by a crash.
create table rule_jobs (
  message_id uuid primary key references messages (id) on delete cascade,
  mailbox_id uuid not null,
  attempts int not null default 0,
  locked_until timestamptz(3),
  created_at timestamptz(3) not null default now()
);

-- The last automatic reply per mailbox and sender: at most one per period.
create table auto_reply_log (
  mailbox_id uuid not null references mailboxes (id) on delete cascade,
  sender text not null,
  last_sent_at timestamptz(3) not null,
  primary key (mailbox_id, sender)
);
