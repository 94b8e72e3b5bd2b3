-- Account deletion (decision 0022): the account row stays as a tombstone (its mailbox names stay reserved, its
-- legal holds on record); its data is purged in the background once deleted_at is set.
alter table accounts add column deleted_at timestamptz(3);
-- The admin key that deleted it (no reference: the key row is purged with the rest).
alter table accounts add column deleted_by_key_id uuid;
alter table accounts add column purged_at timestamptz(3);
create index accounts_purge_pending on accounts (deleted_at) where deleted_at is not null and purged_at is null;
