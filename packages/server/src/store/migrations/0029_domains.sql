-- Custom domains (issue 14, decision 0017). The installation's own domain (POSTBOX_DOMAIN) is no row: it is what a
-- null domain means, so existing mailboxes and accounts keep their addresses whatever POSTBOX_DOMAIN is set to.
create table domains (
  id uuid primary key,
  account_id uuid not null references accounts (id),
  -- Lower case, ASCII (an IDN is stored as its punycode), no trailing dot; never changes.
  name text not null,
  dkim_selector text not null,
  dkim_private_key text not null,
  -- generated: Postbox made the key; operator: the admin supplied it.
  dkim_key_source text not null check (dkim_key_source in ('generated', 'operator')),
  verification_status text not null default 'pending'
    check (verification_status in ('pending', 'verified', 'failed')),
  -- The last check, record by record (empty until the first one).
  dns_checks jsonb not null default '[]',
  last_checked_at timestamptz(3),
  verified_at timestamptz(3),
  created_at timestamptz(3) not null default now()
);
-- A domain belongs to one account: the first claim holds it until deleted.
create unique index domains_name on domains (name);
create index domains_account on domains (account_id, created_at, id);

-- Where new mailboxes of the account go when the request names no domain; null: the installation's domain.
-- Deleting the domain puts the account back on the installation's.
alter table accounts add column default_domain_id uuid references domains (id) on delete set null;

-- The mailbox's domain by name (null: the installation's). Kept when the domain is deleted (only a domain without
-- live mailboxes can be), so a deleted mailbox still shows the address it had.
alter table mailboxes add column domain text;

-- Names are unique per domain now, not per installation; null (the installation's domain) counts as one domain.
drop index mailboxes_live_name;
create unique index mailboxes_live_name on mailboxes (domain, name) nulls not distinct where deleted_at is null;
