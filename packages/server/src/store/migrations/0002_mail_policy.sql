-- Per-mailbox MailPolicy documents (issue 3). Absent row: the mailbox accepts everything.
create table mailbox_policies (
  mailbox_id uuid primary key references mailboxes (id),
  account_id uuid not null references accounts (id),
  document jsonb not null,
  updated_at timestamptz(3) not null default now()
);
