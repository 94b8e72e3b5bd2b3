-- Aliases (issue 13, the bridge's POST /alloc): more addresses for one mailbox. An alias shares the address space
-- with mailbox names, so its name is also kept in mailbox_names with its account, for good: a name that was
-- an alias is never handed to another tenant, as a mailbox name is not.
create table mailbox_aliases (
  name text primary key,
  account_id uuid not null references accounts (id),
  mailbox_id uuid not null references mailboxes (id),
  created_at timestamptz(3) not null default now()
);
create index mailbox_aliases_mailbox on mailbox_aliases (mailbox_id, name);
