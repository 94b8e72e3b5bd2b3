import type { AuditVerification, PolicyOutcome } from "@postbox/sdk";
import { useState } from "preact/hooks";
import { pb } from "../api.ts";
import { useAction, useLoad } from "../components/async.ts";
import { MailboxNav } from "../components/mailbox-nav.tsx";
import { Badge, Empty, ErrorNote, Loading, Notice, Page, When } from "../components/ui.tsx";
import { navigate, queryOf } from "../router.ts";

const OUTCOMES: (PolicyOutcome | "")[] = [
  "",
  "accepted",
  "rejected_at_policy",
  "rejected_at_verification",
  "rejected_at_content_guard",
  "rate_limited",
  "budget_exhausted",
  "legal_hold",
];

/** A local date-time from the form (YYYY-MM-DDTHH:MM) as the API's ISO 8601; a bad one fails the load in words. */
const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

/** A mailbox's policy audit log, filtered and paged through the address, and the check of its hash chain. */
export function Audit(props: { id: string; path: string }) {
  const q = queryOf(props.path);
  const filters = {
    outcome: q.get("outcome") ?? "",
    sender: q.get("sender") ?? "",
    since: q.get("since") ?? "",
    until: q.get("until") ?? "",
  };
  const cursor = q.get("cursor") ?? undefined;
  const [draft, setDraft] = useState(filters);
  const mailbox = useLoad(() => pb.mailboxes.get(props.id), [props.id]);
  const list = useLoad(
    async () =>
      pb.audit.list(props.id, {
        limit: 50,
        ...(filters.outcome ? { outcome: filters.outcome as PolicyOutcome } : {}),
        ...(filters.sender ? { sender: filters.sender } : {}),
        ...(filters.since ? { since: iso(filters.since) } : {}),
        ...(filters.until ? { until: iso(filters.until) } : {}),
        ...(cursor ? { cursor } : {}),
      }),
    [props.id, props.path],
  );
  const go = (changes: Record<string, string>) => {
    const next = new URLSearchParams({ ...filters, ...changes });
    for (const [k, v] of [...next]) if (!v) next.delete(k);
    navigate(`/mailboxes/${encodeURIComponent(props.id)}/audit?${next}`);
  };
  const field = (k: keyof typeof filters) => ({
    value: draft[k],
    onInput: (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
      setDraft({ ...draft, [k]: e.currentTarget.value }),
  });
  return (
    <Page title={`Audit log of ${mailbox.data?.address ?? "…"}`}>
      <MailboxNav id={props.id} current="audit" />
      <VerifyChain mailboxId={props.id} />
      <form
        class="filters"
        aria-label="Filters"
        onSubmit={(e) => {
          e.preventDefault();
          go({ ...draft, cursor: "" });
        }}
      >
        <label>
          Outcome{" "}
          <select {...field("outcome")}>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o || "any"}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sender <input type="search" {...field("sender")} />
        </label>
        <label>
          Since <input type="datetime-local" {...field("since")} />
        </label>
        <label>
          Until <input type="datetime-local" {...field("until")} />
        </label>
        <button type="submit">Apply filters</button>
      </form>
      <ErrorNote error={list.error ?? mailbox.error} />
      {list.loading && !list.data ? <Loading what="audit entries" /> : null}
      {list.data && list.data.data.length === 0 ? <Empty>No audit entries match.</Empty> : null}
      {list.data && list.data.data.length > 0 ? (
        <table>
          <caption class="visually-hidden">Policy audit entries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Sender</th>
              <th scope="col">Outcome</th>
              <th scope="col">Action</th>
              <th scope="col">Rule</th>
              <th scope="col">Reason</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((a) => (
              <tr key={a.seq}>
                <td>
                  <span title={`hash ${a.hash}`}>{a.seq}</span>
                </td>
                <td>
                  <When at={a.created_at} />
                </td>
                <td>
                  {a.header_sender ?? a.envelope_sender ?? "—"}
                  {a.envelope_sender && a.header_sender && a.envelope_sender !== a.header_sender ? (
                    <span class="muted"> (envelope {a.envelope_sender})</span>
                  ) : null}
                </td>
                <td>
                  <Badge tone={a.outcome === "accepted" ? "ok" : "bad"}>{a.outcome}</Badge>
                </td>
                <td>{a.action}</td>
                <td>{a.rule_index === null ? "—" : `senders[${a.rule_index}]`}</td>
                <td>{a.reason ?? ""}</td>
                <td>
                  {a.message_id ? (
                    <a href={`#/messages/${a.message_id}`} aria-label={`Message of entry ${a.seq}`}>
                      open
                    </a>
                  ) : (
                    "—"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <div class="row">
        {cursor ? (
          <button type="button" class="secondary" onClick={() => go({ cursor: "" })}>
            First page
          </button>
        ) : null}
        {list.data?.hasMore && list.data.cursor ? (
          <button type="button" onClick={() => go({ cursor: list.data!.cursor! })}>
            Next page
          </button>
        ) : null}
      </div>
    </Page>
  );
}

const PROBLEMS: Record<NonNullable<AuditVerification["first_broken"]>["problem"], string> = {
  entry_modified: "the entry was modified",
  link_broken: "its link to the entry before is broken",
  entry_missing: "an entry is missing",
  head_mismatch: "the recorded head does not match the last entry",
};

/** Recomputes the hash chain on the server and says whether it is intact, or where it broke. */
function VerifyChain(props: { mailboxId: string }) {
  const [result, setResult] = useState<AuditVerification | null>(null);
  const action = useAction();
  const broken = result?.first_broken;
  return (
    <div class="card verify">
      <div class="row">
        <button
          type="button"
          disabled={action.busy}
          onClick={() => {
            setResult(null);
            action.run(async () => setResult(await pb.audit.verify(props.mailboxId)));
          }}
        >
          Verify chain
        </button>
        <span class="muted">Recomputes every entry's hash, from the anchor to the recorded head.</span>
      </div>
      <ErrorNote error={action.error} />
      {result?.ok ? (
        <Notice>
          Chain intact: {result.checked} {result.checked === 1 ? "entry" : "entries"} checked, from #
          {result.anchor.seq} to #{result.head.seq}.
        </Notice>
      ) : null}
      {result && !result.ok ? (
        <p class="error" role="alert">
          Chain broken at entry #{broken?.seq ?? "?"}: {broken ? PROBLEMS[broken.problem] : "no detail"}
          {broken?.detail ? ` (${broken.detail})` : ""}.
        </p>
      ) : null}
    </div>
  );
}
