-- The installation's outbound DKIM key (issue 5), created on first use and shared by every process, so they all
-- sign with the key the published DNS record names.
create table dkim_keys (
  domain text not null,
  selector text not null,
  private_key text not null,
  created_at timestamptz(3) not null default now(),
  primary key (domain, selector)
);
