-- Which signature headers a webhook's deliveries carry (issue 13): 'postbox' sends X-Postbox-Signature; 'agentpack'
-- (webhooks registered through the bridge's POST /webhook/register) adds x-agentpack-webhook-timestamp and
-- x-agentpack-webhook-signature, computed with the same secrets.
alter table webhooks add column signature_scheme text not null default 'postbox'
  check (signature_scheme in ('postbox', 'agentpack'));
