-- Bounce and complaint reports (issue 5): one row per report, append-only — the record of why an address was
-- suppressed or a delivery marked bounced after the fact.
create table bounce_reports (
  id uuid primary key,
  account_id uuid references accounts (id),
  message_id uuid references messages (id),
  delivery_id uuid references deliveries (id),
  recipient text,
  source text not null check (source in ('dsn', 'provider')),
  kind text not null,
  hard boolean not null default false,
  status text,
  diagnostic text,
  -- What was done: suppressed, marked bounced, recorded only.
  effect text not null,
  raw_sha256 text,
  created_at timestamptz(3) not null default now()
);
create index bounce_reports_account on bounce_reports (account_id, created_at desc);
