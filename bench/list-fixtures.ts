import type pg from "pg";

/** How a filled mailbox looks, so the benchmark can ask for what is there. */
export interface FilledMailbox {
  mailboxId: string;
  count: number;
  /** A word in 2 % of the messages (1 % of subjects, 1 % of bodies), and one in every body. */
  rareWord: string;
  commonWord: string;
}

/**
 * Fills a mailbox with `count` settled messages straight in the database (one INSERT … SELECT over
 * generate_series), newest last, one second apart, shaped like real mail: 90 % inbound (of which 1 % quarantined,
 * 0.5 % blocked, 0.5 % deleted), 10 % sent; threads of five; one in ten bodies about 4 KB, the rest about 300
 * bytes; 2 % starred, 5 % labelled, 3 % with an attachment. Every inbound message before the newest 2 % is read,
 * then one in 200 of those newest stays unread, as in a mailbox an agent keeps up with. Each gets its search
 * document, computed as the service computes it (migration 0024).
 */
export async function fillMailbox(
  c: pg.Client,
  mb: { id: string; account_id: string },
  count: number,
): Promise<FilledMailbox> {
  const threads = Math.ceil(count / 5);
  await c.query("begin");
  // Words to make bodies from: varied enough that TOAST compresses them as it would prose.
  await c.query(
    `create temporary table bench_words on commit drop as
     select array_agg(w) as words from (
       select substr(md5(g::text), 1, 3 + g % 7) as w from generate_series(1, 2000) g) x`,
  );
  await c.query(
    `create temporary table bench_bodies on commit drop as
     select b, (select string_agg(words[1 + (b * 7919 + i * 104729) % 2000], ' ')
                from bench_words, generate_series(1, case when b < 10 then 620 else 45 end) i) as body
     from generate_series(0, 99) b`,
  );
  await c.query(
    `insert into threads (id, account_id, mailbox_id, subject, subject_key, participants, message_count,
       last_message_at, created_at)
     select md5($1::text || ':t' || t)::uuid, $2::uuid, $1::uuid, 'Conversation ' || t, 'conversation ' || t,
       array['sender' || (t % 500) || '@example' || (t % 50) || '.org', 'box@test.local'], 5,
       now() - make_interval(secs => $3::int - t * 5), now() - make_interval(secs => $3::int - t * 5 + 4)
     from generate_series(0, $4 - 1) t`,
    [mb.id, mb.account_id, count, threads],
  );
  await c.query(
    `insert into messages (id, account_id, mailbox_id, direction, state, raw_sha256, raw_size, envelope,
       internet_message_id, sender, sender_name, recipient, to_addrs, subject, sent_at, thread_id, body_text,
       attachments, inbound_seq, read_at, starred, labels, sender_auth, capabilities, injection_score, deleted_at,
       created_at, updated_at)
     select md5($1::text || ':m' || i)::uuid, $2::uuid, $1::uuid, d.direction,
       case when d.direction = 'outbound' then 'delivered'
            when i % 200 = 7 then 'quarantined' when i % 200 = 11 then 'blocked' when i % 200 = 13 then 'deleted'
            else 'available' end,
       md5(i::text) || md5($1::text || i), length(b.body) + 900,
       jsonb_build_object('transport', 'smtp', 'client_ip', '192.0.2.1', 'helo', 'mx.example.org',
         'mail_from', 'sender' || (i % 500) || '@example.org', 'rcpt_to', jsonb_build_array('box@test.local')),
       '<' || i || '.' || $1::text || '@example.org>',
       case when d.direction = 'outbound' then 'box@test.local' else 'sender' || (i % 500) || '@example' || (i % 50) || '.org' end,
       'Sender ' || (i % 500), 'box@test.local', '["box@test.local"]'::jsonb,
       'Conversation ' || (i / 5) || case when i % 100 = 42 then ' ' || $4 else '' end,
       t0 + make_interval(secs => i), md5($1::text || ':t' || (i / 5))::uuid,
       case when i % 100 = 17 then $4 || ' ' else '' end || $5 || ' ' || b.body,
       case when i % 100 < 3 then jsonb_build_array(jsonb_build_object('filename', 'report-' || i || '.pdf',
         'content_type', 'application/pdf', 'size', 48213, 'hash', md5('a' || i) || md5('b' || i)))
         else '[]'::jsonb end,
       case when d.direction = 'inbound' then i end,
       case when d.direction = 'inbound' and (i < $3 * 0.98 or i % 200 <> 3) then t0 + make_interval(secs => i + 60) end,
       i % 50 = 0, case when i % 20 = 0 then array['invoices'] else '{}' end,
       case when d.direction = 'inbound' then
         '{"dkim":{"result":"pass"},"spf":{"result":"pass"},"dmarc":{"result":"pass"},"arc":{"result":"none"}}'::jsonb end,
       '{}', case when d.direction = 'inbound' then 0.02 end,
       case when i % 200 = 13 then t0 + make_interval(secs => i + 90) end,
       t0 + make_interval(secs => i), t0 + make_interval(secs => i)
     from generate_series(0, $3 - 1) i
     cross join lateral (select case when i % 10 = 9 then 'outbound' else 'inbound' end as direction) d
     cross join (select now() - make_interval(secs => $3) as t0) n
     join bench_bodies b on b.b = i % 100`,
    [mb.id, mb.account_id, count, "zebrafinch", "postbox"],
  );
  await c.query(
    `insert into message_search (message_id, document)
     select id, message_search_document(subject, sender, sender_name, body_text, body_html)
     from messages where mailbox_id = $1`,
    [mb.id],
  );
  await c.query("update mailboxes set inbound_seq = $2 where id = $1", [mb.id, count]);
  await c.query("commit");
  return { mailboxId: mb.id, count, rareWord: "zebrafinch", commonWord: "postbox" };
}
