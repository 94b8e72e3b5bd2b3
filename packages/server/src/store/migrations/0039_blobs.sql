-- The PostgreSQL blob store (decision 0026): raw messages and attachment bytes by their SHA-256, so processes on
-- different machines need no shared disk. written_at is renewed by every put of the same bytes; the retention
-- sweep removes a blob only if it was written before its cut-off and no row refers to it.
create table blobs (
  sha256 text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
  bytes bytea not null,
  written_at timestamptz(3) not null default now()
);
