-- Drafts (issue 4): scanned at create and update, rescanned authoritatively at send.
create table drafts (
  id uuid primary key,
  account_id uuid not null references accounts (id),
  mailbox_id uuid not null references mailboxes (id),
  to_addrs jsonb not null default '[]',
  cc_addrs jsonb not null default '[]',
  bcc_addrs jsonb not null default '[]',
  subject text not null default '',
  body_text text not null default '',
  body_html text,
  send_at timestamptz(3),
  scan jsonb not null,
  worst_decision text not null,
  state text not null default 'draft' check (state in ('draft', 'sending', 'scheduled', 'sent')),
  message_id uuid references messages (id),
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index drafts_mailbox on drafts (mailbox_id, created_at desc, id desc);
create index drafts_due on drafts (send_at) where state = 'scheduled';
