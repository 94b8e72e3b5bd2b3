-- Rate-limit counters per mailbox, sender rule and sender, in tumbling UTC hour and day windows (issue 3).
create table policy_rate_counters (
  mailbox_id uuid not null references mailboxes (id),
  rule_index int not null,
  sender text not null,
  window_kind text not null check (window_kind in ('hour', 'day')),
  window_start timestamptz(3) not null,
  count int not null,
  primary key (mailbox_id, rule_index, sender, window_kind, window_start)
);

-- LLM tokens an agent reports having spent on a message; the token-budget gate reads these back.
create table token_usage (
  id bigserial primary key,
  account_id uuid not null references accounts (id),
  mailbox_id uuid not null references mailboxes (id),
  message_id uuid not null references messages (id),
  sender text not null,
  thread_id uuid,
  tokens int not null check (tokens > 0),
  created_at timestamptz(3) not null default now()
);
create index token_usage_sender_day on token_usage (mailbox_id, sender, created_at);
create index token_usage_thread on token_usage (mailbox_id, sender, thread_id);
