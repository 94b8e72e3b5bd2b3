-- Dashboard sign-in (issue 16): a session stands for one admin key; the browser holds only its random secret, in
-- an httpOnly cookie. The key is never stored here: each request re-checks the key's row (revoked, account deleted).
create table dashboard_sessions (
  id uuid primary key,
  -- SHA-256 (hex) of the cookie's secret: a copy of this table signs nobody in.
  secret_hash text not null unique,
  account_id uuid not null references accounts (id) on delete cascade,
  api_key_id uuid not null references api_keys (id) on delete cascade,
  -- The synchronizer token every cookie-authenticated mutation must echo in x-csrf-token.
  csrf_token text not null,
  created_at timestamptz(3) not null,
  expires_at timestamptz(3) not null,
  last_seen_at timestamptz(3) not null
);
create index dashboard_sessions_key on dashboard_sessions (api_key_id);
create index dashboard_sessions_account on dashboard_sessions (account_id);
create index dashboard_sessions_expiry on dashboard_sessions (expires_at);

-- Sign-in attempts that made no session, per client network, in a fixed window from the first one (shared by every
-- API process, so running several does not multiply the allowance).
create table dashboard_sign_in_attempts (
  client text primary key,
  attempts int not null,
  first_attempt_at timestamptz(3) not null
);
