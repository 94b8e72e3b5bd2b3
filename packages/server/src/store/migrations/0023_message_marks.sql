-- The seed's message marks: a star an agent or admin sets and clears, when a message was deleted, and — for mail the
-- inbound firewall blocked — which rule stopped it (the FirewallBlock object clients read; null otherwise).
alter table messages add column starred boolean not null default false;
alter table messages add column deleted_at timestamptz;
alter table messages add column firewall_block jsonb;
