-- Issue 12: the outbound PII policy uses the spec's decision name, require_human_approval, where it said "review".
update mailboxes
set scanner_policy = jsonb_set(
  scanner_policy,
  '{outbound_pii_policy}',
  (select jsonb_object_agg(k, case when v = '"review"'::jsonb then '"require_human_approval"'::jsonb else v end)
   from jsonb_each(scanner_policy -> 'outbound_pii_policy') as e (k, v))
)
where jsonb_typeof(scanner_policy -> 'outbound_pii_policy') = 'object'
  and exists (select 1 from jsonb_each(scanner_policy -> 'outbound_pii_policy') as e (k, v) where v = '"review"'::jsonb);
