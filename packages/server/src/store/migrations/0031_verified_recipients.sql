-- Verified recipients and sandbox mode (issue 14, decision 0019).

-- Addresses an account may mail while sandboxed: added by an admin, confirmed by the person through a signed link.
create table verified_recipients (
  id uuid primary key,
  account_id uuid not null references accounts (id),
  -- Lower-cased.
  email text not null,
  status text not null default 'pending' check (status in ('pending', 'confirmed')),
  -- The latest confirmation mail: when it went and when its link stops working; how many went in all.
  link_sent_at timestamptz(3) not null,
  link_expires_at timestamptz(3) not null,
  links_sent int not null default 1,
  confirmed_at timestamptz(3),
  created_at timestamptz(3) not null default now()
);
create unique index verified_recipients_email on verified_recipients (account_id, email);
create index verified_recipients_list on verified_recipients (account_id, created_at desc, id desc);

-- Sandbox: the account's (every mailbox) or one mailbox's sends may reach confirmed recipients only.
alter table accounts add column sandbox boolean not null default false;
alter table mailboxes add column sandbox boolean not null default false;

-- Service mail (confirmation mail) belongs to an account but to no mailbox: no mailbox lists it, no key reads it.
alter table messages alter column mailbox_id drop not null;
create index messages_service_mail on messages (account_id, created_at) where mailbox_id is null;

-- Keys the service signs its links with, one per purpose, generated at first use (the first writer wins), so every
-- process of an installation signs and checks alike.
create table service_secrets (
  purpose text primary key,
  secret text not null,
  created_at timestamptz(3) not null default now()
);
