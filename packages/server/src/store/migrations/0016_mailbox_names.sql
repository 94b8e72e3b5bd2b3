-- Which account a mailbox name belongs to, for good (issue 10): deleting a mailbox keeps its name with its account,
-- so another tenant cannot take over an address whose correspondents, password resets and threads still point at it.
create table mailbox_names (
  name text primary key,
  account_id uuid not null references accounts (id),
  created_at timestamptz(3) not null default now()
);

-- Every name used so far: the live holder, or else the account that last held it.
insert into mailbox_names (name, account_id, created_at)
select distinct on (name) name, account_id, created_at from mailboxes
order by name, (deleted_at is null) desc, created_at desc;
