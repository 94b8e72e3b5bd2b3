import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startDnsServer } from "../dns-server.ts";
import { dbLabel, eventually, type Sink, startSink, startTestServer, type TestServer } from "../helpers.ts";

describe(`direct delivery to MX hosts through a DNS server on loopback (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;
  let dns: Awaited<ReturnType<typeof startDnsServer>>;
  before(async () => {
    sink = await startSink();
    dns = await startDnsServer({
      "mx-domain.test": {
        MX: [
          { exchange: "mx1.mx-domain.test", priority: 10 },
          { exchange: "mx2.mx-domain.test", priority: 20 },
        ],
      },
      "mx1.mx-domain.test": { A: ["127.0.0.2"] }, // nothing listens there: the worker must move on
      "mx2.mx-domain.test": { A: ["127.0.0.1"] },
      "no-mx.test": { A: ["127.0.0.1"] },
      "null-mx.test": { MX: [{ exchange: "", priority: 0 }] },
    });
    t = await startTestServer(
      { POSTBOX_DNS_SERVERS: dns.address, POSTBOX_RETRY_SCHEDULE: "1s" },
      { mxPort: sink.port },
    );
    await t.client().mailboxes.create({ name: "direct" });
  });
  after(async () => {
    await t.stop();
    await sink.close();
    await dns.close();
  });

  const deliveredState = async (id: string, state: string) =>
    eventually(async () => {
      const m = await t.client().messages.get(id);
      return m.state === state ? m : null;
    });

  it("tries MX hosts in preference order and delivers to the one that answers", async () => {
    const res = await t
      .client()
      .messages.send({ from_mailbox: "direct", to: "user@mx-domain.test", subject: "MX", body: "x" });
    await sink.waitFor(1);
    const msg = await deliveredState(res.message_id, "delivered");
    assert.deepEqual(sink.received.at(-1)!.to, ["user@mx-domain.test"]);
    const [attempt] = await t.pb.db.query<{ remote_host: string }>(
      "select a.remote_host from delivery_attempts a join deliveries d on d.id = a.delivery_id where d.message_id = $1",
      [msg.id],
    );
    assert.equal(attempt!.remote_host, "mx2.mx-domain.test");
  });

  it("falls back to the address record of a domain without MX", async () => {
    const before = sink.received.length;
    const res = await t
      .client()
      .messages.send({ from_mailbox: "direct", to: "user@no-mx.test", subject: "A", body: "x" });
    await sink.waitFor(before + 1);
    await deliveredState(res.message_id, "delivered");
  });

  it("bounces a domain that does not exist and one with a null MX", async () => {
    const a = await t
      .client()
      .messages.send({ from_mailbox: "direct", to: "user@nowhere.test", subject: "NX", body: "x" });
    const b = await t
      .client()
      .messages.send({ from_mailbox: "direct", to: "user@null-mx.test", subject: "Null", body: "x" });
    const ma = await deliveredState(a.message_id, "bounced");
    const mb = await deliveredState(b.message_id, "bounced");
    assert.match(ma.deliveries![0]!.last_response!, /does not exist/);
    assert.match(mb.deliveries![0]!.last_response!, /null MX/);
  });
});
