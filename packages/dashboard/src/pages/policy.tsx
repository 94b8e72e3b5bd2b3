import type { MailPolicy, PolicyTestResult } from "@postbox/sdk";
import { useState } from "preact/hooks";
import { pb } from "../api.ts";
import { useLoad } from "../components/async.ts";
import { MailboxNav } from "../components/mailbox-nav.tsx";
import { Problems, useSave } from "../components/problems.tsx";
import { Badge, ErrorNote, Field, Loading, Notice, Page, When } from "../components/ui.tsx";

/** Where a mailbox without a MailPolicy starts: the smallest document the server accepts, with one sender rule. */
const TEMPLATE: MailPolicy = {
  defaultAction: "bounce",
  senders: [{ match: { domain: "partner.example", requireDkim: true }, capabilities: ["read_calendar"] }],
  auditLog: { retentionDays: 90 },
};

/**
 * The editor's text as a document, checked as far as the page can without the server: JSON, an object, the three
 * required fields (in the server's words). The server checks the rest when it is saved.
 */
function parse(text: string): { doc: unknown; problems: string[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { doc: null, problems: [`the policy is not valid JSON: ${(err as Error).message}`] };
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    return { doc, problems: ["policy must be a JSON object"] };
  const missing = ["defaultAction", "senders", "auditLog"].filter((k) => !(k in doc));
  return { doc, problems: missing.map((k) => `${k} is required`) };
}

/** A mailbox's MailPolicy as JSON: checked, saved with the server's problems by the editor, and tried by dry run. */
export function PolicyPage(props: { id: string }) {
  const loaded = useLoad(() => Promise.all([pb.mailboxes.get(props.id), pb.getPolicy(props.id)]), [props.id]);
  const [mailbox, policy] = loaded.data ?? [];
  return (
    <Page title={`Policy of ${mailbox?.address ?? "…"}`}>
      <MailboxNav id={props.id} current="policy" />
      <ErrorNote error={loaded.error} />
      {loaded.loading && !loaded.data ? <Loading what="the policy" /> : null}
      {mailbox && policy ? (
        <div key={mailbox.id}>
          <Editor mailboxId={mailbox.id} policy={policy.policy} updatedAt={policy.updated_at} />
          <DryRun mailboxId={mailbox.id} />
        </div>
      ) : null}
    </Page>
  );
}

function Editor(props: { mailboxId: string; policy: MailPolicy | null; updatedAt: string | null }) {
  const [text, setText] = useState(() => JSON.stringify(props.policy ?? TEMPLATE, null, 2));
  const [updatedAt, setUpdatedAt] = useState(props.updatedAt);
  const [warnings, setWarnings] = useState<string[]>([]);
  const save = useSave();
  const invalid = save.problems.length > 0;
  const checked = () => {
    const r = parse(text);
    setWarnings([]);
    if (r.problems.length > 0) save.fail(r.problems);
    return r.problems.length > 0 ? null : r.doc;
  };
  return (
    <section class="card" aria-labelledby="policy-title">
      <h2 id="policy-title">MailPolicy</h2>
      {updatedAt ? (
        <p class="muted">
          In force since <When at={updatedAt} />.
        </p>
      ) : (
        <p class="muted">
          This mailbox has no MailPolicy: it accepts all mail. Below is a template to start from; nothing
          changes until you save.
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const doc = checked();
          if (doc === null) return;
          save.run(async () => {
            const r = await pb.setPolicy(props.mailboxId, doc as MailPolicy);
            setWarnings(r.warnings ?? []);
            setUpdatedAt(r.updated_at);
            return "Policy saved: it decides the next message that arrives.";
          });
        }}
      >
        <div class="field">
          <label for="policy-json">Policy (JSON)</label>
          <textarea
            id="policy-json"
            class="code"
            rows={20}
            spellcheck={false}
            value={text}
            aria-invalid={invalid ? "true" : undefined}
            aria-describedby={invalid ? "policy-json-hint policy-problems" : "policy-json-hint"}
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <small id="policy-json-hint" class="muted">
            defaultAction (bounce or drop), senders (the first rule that matches decides), contentGuards and
            auditLog; docs/policy.md describes every field.
          </small>
        </div>
        <Problems id="policy-problems" problems={save.problems} />
        {save.done ? <Notice>{save.done}</Notice> : null}
        {warnings.length > 0 ? (
          <div class="warnings">
            <p>Accepted, but worth a look:</p>
            <ul>
              {warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          </div>
        ) : null}
        <div class="row">
          <button
            type="button"
            class="secondary"
            onClick={() => {
              if (checked() !== null)
                save.run(async () => "The JSON is well-formed; the server checks every rule when you save.");
            }}
          >
            Validate
          </button>
          <button type="submit" disabled={save.busy}>
            Save policy
          </button>
        </div>
      </form>
    </section>
  );
}

function DryRun(props: { mailboxId: string }) {
  const [from, setFrom] = useState("");
  const [body, setBody] = useState("");
  const [dkim, setDkim] = useState(true);
  const [spf, setSpf] = useState(true);
  const [result, setResult] = useState<PolicyTestResult | null>(null);
  const run = useSave();
  return (
    <section class="card" aria-labelledby="dry-run-title">
      <h2 id="dry-run-title">Dry run</h2>
      <p class="muted">
        What the saved policy would do with a message: nothing is recorded and no counter moves. Save your
        changes first to try them.
      </p>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setResult(null);
          run.run(async () => {
            setResult(await pb.testPolicy(props.mailboxId, { from: from.trim() || null, body, dkim, spf }));
            return "";
          });
        }}
      >
        <Field id="dry-from" label="From address">
          <input id="dry-from" type="email" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        </Field>
        <Field id="dry-body" label="Body" hint="The text content guards are matched against.">
          <textarea
            id="dry-body"
            rows={4}
            value={body}
            aria-describedby="dry-body-hint"
            onInput={(e) => setBody(e.currentTarget.value)}
          />
        </Field>
        <label class="check">
          <input type="checkbox" checked={dkim} onChange={(e) => setDkim(e.currentTarget.checked)} />
          DKIM passed for the From domain
        </label>
        <label class="check">
          <input type="checkbox" checked={spf} onChange={(e) => setSpf(e.currentTarget.checked)} />
          SPF passed for an envelope sender aligned with the From domain
        </label>
        <button type="submit" disabled={run.busy}>
          Run dry run
        </button>
      </form>
      <Problems id="dry-run-problems" problems={run.problems} />
      {result ? <DryRunResult result={result} /> : null}
    </section>
  );
}

const DISPOSITION = { deliver: "delivered", bounce: "bounced", drop: "dropped" } as const;

function DryRunResult({ result: r }: { result: PolicyTestResult }) {
  const caps = r.capabilities.length > 0 ? `, capabilities ${r.capabilities.join(", ")}` : "";
  const rule = r.rule_index === null ? "" : ` (rule senders[${r.rule_index}]${caps})`;
  return (
    <div class="dry-run-result" role="status">
      <p>
        Decision: <Badge tone={r.outcome === "accepted" ? "ok" : "bad"}>{r.outcome}</Badge> — the message
        would be <strong>{DISPOSITION[r.disposition]}</strong>
        {rule}.
      </p>
      {r.reason ? <p>{r.reason}</p> : null}
      <ol class="trace" aria-label="Dry-run trace">
        {r.trace.map((t, i) => (
          <li key={i} class={t.result}>
            <strong>{t.step}</strong>: {t.result} — {t.detail}
          </li>
        ))}
      </ol>
    </div>
  );
}
