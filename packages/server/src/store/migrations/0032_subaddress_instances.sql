-- Sub-address instances (the seed's subaddress_instance_id): a send may name an instance, written into the
-- plus-address with an HMAC tag, so a reply to it arrives carrying the instance back. The key is per account.
alter table accounts add column subaddress_key bytea;
-- Outbound: the instance a send named; inbound: the instance whose tag the recipient address carried and verified.
alter table messages add column subaddress_instance_id text;
-- Drafts keep what they were created with; the send applies it.
alter table drafts add column subaddress_instance_id text;
alter table drafts add column subaddress_mode text check (subaddress_mode in ('reply_to', 'from', 'none'));
