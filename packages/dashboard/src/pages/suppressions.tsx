import type { SuppressionReason } from "@postbox/sdk";
import { useState } from "preact/hooks";
import { pb } from "../api.ts";
import { useAction, useLoad } from "../components/async.ts";
import { Badge, Empty, ErrorNote, Field, Loading, Notice, Page, When } from "../components/ui.tsx";

const REASONS: SuppressionReason[] = ["manual", "hard_bounce", "complaint", "unsubscribe"];

/** Who mail never goes to (outbound suppressions) and who mail is never taken from (the inbound blocklist). */
export function Suppressions() {
  return (
    <Page title="Suppressions and blocklist">
      <OutboundSuppressions />
      <InboundBlocklist />
    </Page>
  );
}

function OutboundSuppressions() {
  const [reason, setReason] = useState<SuppressionReason | "">("");
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const list = useLoad(
    () => pb.suppressions.list({ limit: 100, ...(reason ? { reason } : {}), ...(cursor ? { cursor } : {}) }),
    [reason, cursor],
  );
  const [done, setDone] = useState<string | null>(null);
  const [email, setEmail] = useState("");
  const [addReason, setAddReason] = useState<SuppressionReason>("manual");
  const [detail, setDetail] = useState("");
  const action = useAction();
  return (
    <section class="card" aria-labelledby="suppressions-title">
      <h2 id="suppressions-title">Outbound suppressions</h2>
      <p class="muted">
        Sends to these addresses (or to any address of a @domain) are refused with RECIPIENT_SUPPRESSED.
        Bounces and complaints add entries on their own.
      </p>
      {done ? <Notice>{done}</Notice> : null}
      <form
        class="filters"
        aria-label="Suppress an address"
        onSubmit={async (e) => {
          e.preventDefault();
          const entry = email.trim();
          await action.run(async () => {
            const r = await pb.suppressions.add(entry, {
              reason: addReason,
              ...(detail.trim() ? { detail: detail.trim() } : {}),
            });
            setEmail("");
            setDetail("");
            setDone(r.already_existed ? `${r.email} was suppressed already.` : `Suppressed ${r.email}.`);
            list.reload();
          });
        }}
      >
        <Field id="suppress-email" label="Address or @domain">
          <input
            id="suppress-email"
            required
            autocomplete="off"
            spellcheck={false}
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </Field>
        <Field id="suppress-reason" label="Suppression reason">
          <select
            id="suppress-reason"
            value={addReason}
            onChange={(e) => setAddReason(e.currentTarget.value as SuppressionReason)}
          >
            {REASONS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <Field id="suppress-detail" label="Detail">
          <input id="suppress-detail" value={detail} onInput={(e) => setDetail(e.currentTarget.value)} />
        </Field>
        <button type="submit" disabled={action.busy}>
          Suppress
        </button>
      </form>
      <ErrorNote error={action.error} />
      <div class="filters">
        <label>
          Show reason{" "}
          <select
            value={reason}
            onChange={(e) => {
              setReason(e.currentTarget.value as SuppressionReason | "");
              setCursors([]);
            }}
          >
            <option value="">all</option>
            {REASONS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={list.error} />
      {list.loading && !list.data ? <Loading what="suppressions" /> : null}
      {list.data && list.data.data.length === 0 ? <Empty>No suppressed addresses.</Empty> : null}
      {list.data && list.data.data.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Address</th>
              <th scope="col">Reason</th>
              <th scope="col">Source</th>
              <th scope="col">Detail</th>
              <th scope="col">Added</th>
              <th scope="col">Expires</th>
              <th scope="col">Remove</th>
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((s) => (
              <tr key={s.email}>
                <td>
                  {s.email} {s.pattern_type === "domain" ? <Badge>domain</Badge> : null}
                </td>
                <td>
                  <Badge tone={s.reason === "manual" ? "info" : "warn"}>{s.reason}</Badge>
                </td>
                <td>{s.source ?? ""}</td>
                <td>{s.detail ?? ""}</td>
                <td>
                  <When at={s.created_at} />
                </td>
                <td>{s.expires_at ? <When at={s.expires_at} /> : <span class="muted">never</span>}</td>
                <td>
                  <RemoveButton
                    label="Remove"
                    name={`Remove suppression ${s.email}`}
                    remove={() => pb.suppressions.remove(s.email)}
                    onRemoved={() => {
                      setDone(`Removed ${s.email}: mail may go to it again.`);
                      list.reload();
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <div class="row">
        {cursors.length > 0 ? (
          <button type="button" class="secondary" onClick={() => setCursors(cursors.slice(0, -1))}>
            Previous page
          </button>
        ) : null}
        {list.data?.hasMore && list.data.cursor ? (
          <button type="button" onClick={() => setCursors([...cursors, list.data!.cursor!])}>
            Next page
          </button>
        ) : null}
      </div>
    </section>
  );
}

function InboundBlocklist() {
  const list = useLoad(() => pb.blocklist.list(), []);
  const [done, setDone] = useState<string | null>(null);
  const [email, setEmail] = useState("");
  const [reason, setReason] = useState("");
  const action = useAction();
  return (
    <section class="card" aria-labelledby="blocklist-title">
      <h2 id="blocklist-title">Inbound blocklist</h2>
      <p class="muted">
        Mail from these senders (or any sender of a @domain) is blocked for every mailbox of the account
        before any agent sees it. Reporting a quarantined message adds its sender here.
      </p>
      {done ? <Notice>{done}</Notice> : null}
      <form
        class="filters"
        aria-label="Block a sender"
        onSubmit={async (e) => {
          e.preventDefault();
          const entry = email.trim();
          await action.run(async () => {
            const r = await pb.blocklist.add(entry, reason.trim() || undefined);
            setEmail("");
            setReason("");
            setDone(r.already_existed ? `${r.email} was blocked already.` : `Blocked ${r.email}.`);
            list.reload();
          });
        }}
      >
        <Field id="block-email" label="Sender or @domain">
          <input
            id="block-email"
            required
            autocomplete="off"
            spellcheck={false}
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </Field>
        <Field id="block-reason" label="Block reason">
          <input id="block-reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </Field>
        <button type="submit" disabled={action.busy}>
          Block sender
        </button>
      </form>
      <ErrorNote error={action.error} />
      <ErrorNote error={list.error} />
      {list.loading && !list.data ? <Loading what="the blocklist" /> : null}
      {list.data && list.data.length === 0 ? <Empty>No blocked senders.</Empty> : null}
      {list.data && list.data.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Sender</th>
              <th scope="col">Reason</th>
              <th scope="col">Source</th>
              <th scope="col">Added</th>
              <th scope="col">Unblock</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((b) => (
              <tr key={b.email}>
                <td>
                  {b.email} {b.pattern_type === "domain" ? <Badge>domain</Badge> : null}
                </td>
                <td>{b.reason ?? ""}</td>
                <td>{b.source}</td>
                <td>
                  <When at={b.created_at} />
                </td>
                <td>
                  <RemoveButton
                    label="Unblock"
                    name={`Unblock ${b.email}`}
                    remove={() => pb.blocklist.remove(b.email)}
                    onRemoved={() => {
                      setDone(`Unblocked ${b.email}: its mail is accepted again.`);
                      list.reload();
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function RemoveButton(props: {
  label: string;
  name: string;
  remove: () => Promise<unknown>;
  onRemoved: () => void;
}) {
  const action = useAction();
  return (
    <>
      <button
        type="button"
        class="secondary"
        aria-label={props.name}
        disabled={action.busy}
        onClick={() =>
          action.run(async () => {
            await props.remove();
            props.onRemoved();
          })
        }
      >
        {props.label}
      </button>
      <ErrorNote error={action.error} />
    </>
  );
}
