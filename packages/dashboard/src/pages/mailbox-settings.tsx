import type {
  Mailbox,
  OutboundDecision,
  PiiOperator,
  PiiRedactionConfig,
  PiiType,
  ScannerPolicy,
} from "@postbox/sdk";
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { pb } from "../api.ts";
import { useLoad } from "../components/async.ts";
import { MailboxNav } from "../components/mailbox-nav.tsx";
import { Problems, useSave } from "../components/problems.tsx";
import { Empty, ErrorNote, Field, Loading, Notice, Page, When } from "../components/ui.tsx";

/** The attachment consents the server sends with every mailbox (api/wire.ts); the SDK's Mailbox does not name them. */
interface AttachmentConsents {
  image_raw_download_confirmed: boolean;
  current_image_risk_version: string;
  outbound_attachments_enabled: boolean;
  outbound_image_disclaimer_accepted: boolean;
  current_outbound_image_disclaimer_version: string;
}
type FullMailbox = Mailbox & AttachmentConsents;
type Mode = "blocklist" | "allowlist";
type Saved = { mailbox: FullMailbox; onSaved: () => void };

/** A mailbox's settings, a form per concern, each saved on its own with the server's problems listed by it. */
export function MailboxSettings(props: { id: string }) {
  const mb = useLoad(() => pb.mailboxes.get(props.id) as Promise<FullMailbox>, [props.id]);
  const m = mb.data;
  return (
    <Page title={`Settings of ${m?.address ?? "…"}`}>
      <MailboxNav id={props.id} current="settings" />
      <ErrorNote error={mb.error} />
      {mb.loading && !m ? <Loading what="settings" /> : null}
      {m ? (
        <div key={m.id}>
          <General mailbox={m} onSaved={mb.reload} />
          <PiiRedaction mailbox={m} onSaved={mb.reload} />
          <InjectionGuard mailbox={m} onSaved={mb.reload} />
          <OutboundPii mailbox={m} onSaved={mb.reload} />
          <ListSection
            prefix="rcpt"
            title="Recipients (outbound)"
            what="recipient"
            intro="Blocklist: sends reach anyone not suppressed. Allowlist: sends reach only the addresses and domains below; others are refused with 403 RECIPIENT_NOT_ON_ALLOWLIST."
            mailboxId={m.id}
            api={pb.allowlist}
            setMode={(mode, forceEmpty) => pb.allowlist.setMode(m.id, mode, { forceEmpty })}
          />
          <ListSection
            prefix="sender"
            title="Senders (inbound)"
            what="sender"
            intro="Blocklist: mail from anyone not on the account's inbound blocklist gets through. Allowlist: only mail from the senders below; the firewall blocks the rest. In blocklist mode the list is kept but inert."
            mailboxId={m.id}
            api={pb.inboundAllowlist}
            setMode={(mode, forceEmpty) => pb.mailboxes.setSenderPolicy(m.id, mode, { forceEmpty })}
          />
          <AttachmentAccess mailbox={m} onSaved={mb.reload} />
        </div>
      ) : null}
    </Page>
  );
}

function Section(props: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section class="card" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
    </section>
  );
}

/** What saving did: a notice, or the server's problems (listed in an alert the form's controls point at). */
function Outcome(props: { id: string; save: ReturnType<typeof useSave> }) {
  return (
    <>
      {props.save.done ? <Notice>{props.save.done}</Notice> : null}
      <Problems id={props.id} problems={props.save.problems} />
    </>
  );
}

const EXPIRIES = ["24h", "72h", "7d", "never"] as const;
const isExpiry = (e: string): e is (typeof EXPIRIES)[number] => (EXPIRIES as readonly string[]).includes(e);

function General({ mailbox: m, onSaved }: Saved) {
  const [name, setName] = useState(m.display_name ?? "");
  const [hitl, setHitl] = useState(m.hitl_mode);
  const [expiry, setExpiry] = useState(m.approval_expiry);
  const save = useSave();
  return (
    <Section id="s-general" title="General">
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save.run(async () => {
            await pb.mailboxes.update(m.id, {
              display_name: name.trim() || null,
              hitl_mode: hitl,
              ...(isExpiry(expiry) ? { approval_expiry: expiry } : {}),
            });
            onSaved();
            return "General settings saved.";
          });
        }}
      >
        <Field
          id="display-name"
          label="Display name"
          hint={`Shown in From; when empty, the name “${m.name}”.`}
        >
          <input
            id="display-name"
            value={name}
            maxLength={200}
            aria-describedby="display-name-hint"
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </Field>
        <Field id="hitl-mode" label="Human review of sends (HITL mode)">
          <select id="hitl-mode" value={hitl} onChange={(e) => setHitl(e.currentTarget.value as typeof hitl)}>
            <option value="disabled">disabled: only the scanner's findings hold a send</option>
            <option value="risky_only">
              risky_only: hold every send the scanner had something to say about
            </option>
            <option value="all_outbound">all_outbound: hold every send for a human</option>
          </select>
        </Field>
        <Field
          id="approval-expiry"
          label="Approval expiry"
          hint="Held sends not decided by then are blocked."
        >
          <select
            id="approval-expiry"
            value={expiry}
            aria-describedby="approval-expiry-hint"
            onChange={(e) => setExpiry(e.currentTarget.value)}
          >
            {isExpiry(m.approval_expiry) ? null : (
              <option value={m.approval_expiry}>{m.approval_expiry} (set through the API; kept)</option>
            )}
            {EXPIRIES.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </Field>
        <Outcome id="general-problems" save={save} />
        <button type="submit" disabled={save.busy}>
          Save general settings
        </button>
      </form>
    </Section>
  );
}

const PII_TYPES: PiiType[] = [
  "EMAIL_ADDRESS",
  "PHONE_NUMBER",
  "CREDIT_CARD",
  "US_SSN",
  "IBAN_CODE",
  "IP_ADDRESS",
  "PERSON",
  "US_BANK_NUMBER",
  "US_DRIVER_LICENSE",
  "US_ITIN",
  "US_PASSPORT",
  "UK_NHS",
  "MEDICAL_LICENSE",
  "CRYPTO",
];
type Kind = PiiOperator["kind"];
interface Row {
  redact: boolean;
  kind: Kind;
  keep: string;
  mask: string;
}

function rowsOf(config: PiiRedactionConfig): Record<string, Row> {
  const rows: Record<string, Row> = {};
  for (const t of PII_TYPES) {
    const op = config[t]?.operator;
    const partial = op?.kind === "partial_mask" ? op : null;
    rows[t] = {
      redact: config[t]?.redact !== false,
      kind: op?.kind ?? "replace_with_type",
      keep: String(partial?.keep_last ?? 4),
      mask: partial?.mask_char ?? "*",
    };
  }
  return rows;
}

/** The rows as the API takes them: only the detectors that differ from the default (redacted as `<TYPE>`). */
function configOf(rows: Record<string, Row>): PiiRedactionConfig {
  const config: PiiRedactionConfig = {};
  for (const t of PII_TYPES) {
    const r = rows[t]!;
    if (r.redact && r.kind === "replace_with_type") continue;
    const operator: PiiOperator =
      r.kind === "partial_mask"
        ? { kind: "partial_mask", keep_last: Number(r.keep), mask_char: r.mask }
        : { kind: r.kind === "hash_replace" ? "hash_replace" : "replace_with_type" };
    config[t] = { redact: r.redact, operator };
  }
  return config;
}

function PiiRedaction({ mailbox: m, onSaved }: Saved) {
  const [mode, setMode] = useState(m.pii_mode);
  const [rows, setRows] = useState(() => rowsOf(m.pii_redaction_config));
  const set = (t: string, change: Partial<Row>) =>
    setRows((rs) => ({ ...rs, [t]: { ...rs[t]!, ...change } }));
  const save = useSave();
  return (
    <Section id="s-pii" title="PII redaction (inbound)">
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save.run(async () => {
            await pb.mailboxes.update(m.id, { pii_mode: mode, pii_redaction_config: configOf(rows) });
            onSaved();
            return "PII redaction saved.";
          });
        }}
      >
        <Field
          id="pii-mode"
          label="PII mode"
          hint="Redacted: agents read subjects and text with detected PII replaced, and no HTML."
        >
          <select
            id="pii-mode"
            value={mode}
            aria-describedby="pii-mode-hint"
            onChange={(e) => setMode(e.currentTarget.value as typeof mode)}
          >
            <option value="passthrough">passthrough</option>
            <option value="redacted">redacted</option>
          </select>
        </Field>
        <table>
          <caption class="visually-hidden">How each detector's findings are redacted</caption>
          <thead>
            <tr>
              <th scope="col">Detector</th>
              <th scope="col">Redact</th>
              <th scope="col">Replace with</th>
              <th scope="col">Digits kept</th>
              <th scope="col">Mask character</th>
            </tr>
          </thead>
          <tbody>
            {PII_TYPES.map((t) => {
              const r = rows[t]!;
              const partial = r.kind === "partial_mask";
              return (
                <tr key={t}>
                  <th scope="row">{t}</th>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Redact ${t}`}
                      checked={r.redact}
                      onChange={(e) => set(t, { redact: e.currentTarget.checked })}
                    />
                  </td>
                  <td>
                    <select
                      aria-label={`Operator for ${t}`}
                      value={r.kind}
                      disabled={!r.redact}
                      onChange={(e) => set(t, { kind: e.currentTarget.value as Kind })}
                    >
                      <option value="replace_with_type">{`<${t}>`}</option>
                      <option value="partial_mask">partial mask</option>
                      <option value="hash_replace">hash</option>
                    </select>
                  </td>
                  <td>
                    {partial ? (
                      <input
                        class="narrow"
                        type="number"
                        min={1}
                        max={6}
                        aria-label={`Digits kept for ${t}`}
                        value={r.keep}
                        onInput={(e) => set(t, { keep: e.currentTarget.value })}
                      />
                    ) : null}
                  </td>
                  <td>
                    {partial ? (
                      <input
                        class="narrow"
                        maxLength={2}
                        aria-label={`Mask character for ${t}`}
                        value={r.mask}
                        onInput={(e) => set(t, { mask: e.currentTarget.value })}
                      />
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <Outcome id="pii-problems" save={save} />
        <button type="submit" disabled={save.busy}>
          Save PII redaction
        </button>
      </form>
    </Section>
  );
}

function InjectionGuard({ mailbox: m, onSaved }: Saved) {
  const [useDefault, setUseDefault] = useState(m.injection_threshold_is_default);
  const [value, setValue] = useState(String(m.injection_threshold));
  const save = useSave();
  return (
    <Section id="s-injection" title="Injection guard (inbound)">
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save.run(async () => {
            await pb.mailboxes.update(m.id, { injection_threshold: useDefault ? null : Number(value) });
            onSaved();
            return "Injection threshold saved.";
          });
        }}
      >
        <label class="check">
          <input
            type="checkbox"
            checked={useDefault}
            onChange={(e) => setUseDefault(e.currentTarget.checked)}
          />
          Use the injection model's default
          {m.injection_threshold_is_default ? ` (${m.injection_threshold})` : ""}
        </label>
        <Field
          id="injection-threshold"
          label="Injection threshold"
          hint="Inbound mail scoring at or above it is quarantined: more than 0, at most 1; lower holds more."
        >
          <input
            id="injection-threshold"
            class="narrow"
            type="number"
            step="0.01"
            min={0}
            max={1}
            disabled={useDefault}
            value={value}
            aria-describedby="injection-threshold-hint injection-problems"
            onInput={(e) => setValue(e.currentTarget.value)}
          />
        </Field>
        <Outcome id="injection-problems" save={save} />
        <button type="submit" disabled={save.busy}>
          Save injection threshold
        </button>
      </form>
    </Section>
  );
}

const PII_KINDS = [
  ["ssn", "US social security numbers"],
  ["credit_card", "Credit card numbers"],
  ["phone_number", "Phone numbers"],
] as const;
type PiiKind = (typeof PII_KINDS)[number][0];
const DECISIONS: [OutboundDecision, string][] = [
  ["allow", "allow"],
  ["allow_with_warning", "allow with a warning"],
  ["review", "hold for human review"],
  ["quarantine", "quarantine"],
  ["block", "block"],
];
type ApprovalNote = NonNullable<NonNullable<ScannerPolicy["outbound_review_policy"]>["approval_note"]>;

function OutboundPii({ mailbox: m, onSaved }: Saved) {
  const sp = m.scanner_policy;
  const [pii, setPii] = useState<Record<PiiKind, OutboundDecision>>({
    ssn: sp.outbound_pii_policy?.ssn ?? "review",
    credit_card: sp.outbound_pii_policy?.credit_card ?? "review",
    phone_number: sp.outbound_pii_policy?.phone_number ?? "allow",
  });
  const [note, setNote] = useState<ApprovalNote>(sp.outbound_review_policy?.approval_note ?? "optional");
  const save = useSave();
  return (
    <Section id="s-outbound" title="Outbound PII policy (scanner)">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.run(async () => {
            // The API replaces the whole scanner policy: the parts this form does not show go back as they were.
            await pb.mailboxes.update(m.id, {
              scanner_policy: {
                ...sp,
                outbound_pii_policy: pii,
                outbound_review_policy: { approval_note: note },
              },
            });
            onSaved();
            return "Outbound PII policy saved.";
          });
        }}
      >
        {PII_KINDS.map(([kind, label]) => (
          <Field key={kind} id={`out-${kind}`} label={`A send containing ${label.toLowerCase()}`}>
            <select
              id={`out-${kind}`}
              value={pii[kind]}
              onChange={(e) => {
                const d = e.currentTarget.value as OutboundDecision;
                setPii((p) => ({ ...p, [kind]: d }));
              }}
            >
              {DECISIONS.map(([d, words]) => (
                <option key={d} value={d}>
                  {words}
                </option>
              ))}
            </select>
          </Field>
        ))}
        <Field id="approval-note" label="Reviewer note when approving">
          <select
            id="approval-note"
            value={note}
            onChange={(e) => setNote(e.currentTarget.value as ApprovalNote)}
          >
            <option value="optional">optional</option>
            <option value="required_for_sensitive_pii">required for sends with sensitive PII</option>
          </select>
        </Field>
        <Outcome id="outbound-problems" save={save} />
        <button type="submit" disabled={save.busy}>
          Save outbound PII policy
        </button>
      </form>
    </Section>
  );
}

/** A mailbox list with its mode: the outbound recipient allowlist or the inbound sender allowlist. */
function ListSection(props: {
  prefix: string;
  title: string;
  what: string;
  intro: string;
  mailboxId: string;
  api: typeof pb.allowlist | typeof pb.inboundAllowlist;
  setMode: (mode: Mode, forceEmpty: boolean) => Promise<unknown>;
}) {
  const { prefix: p, what, mailboxId } = props;
  const list = useLoad(() => props.api.list(mailboxId), [mailboxId]);
  const [draft, setDraft] = useState<Mode | null>(null);
  const [force, setForce] = useState(false);
  const [email, setEmail] = useState("");
  const save = useSave();
  const mode = draft ?? list.data?.mode ?? "blocklist";
  const act = (fn: () => Promise<string>) =>
    save.run(async () => {
      try {
        return await fn();
      } finally {
        list.reload();
      }
    });
  return (
    <Section id={`s-${p}`} title={props.title}>
      <p class="muted">{props.intro}</p>
      <ErrorNote error={list.error} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          act(async () => {
            await props.setMode(mode, force);
            return `The ${what} policy is ${mode}.`;
          });
        }}
      >
        <Field id={`${p}-mode`} label={`${what[0]!.toUpperCase()}${what.slice(1)} policy`}>
          <select id={`${p}-mode`} value={mode} onChange={(e) => setDraft(e.currentTarget.value as Mode)}>
            <option value="blocklist">blocklist</option>
            <option value="allowlist">allowlist: only the list below</option>
          </select>
        </Field>
        <label class="check">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.currentTarget.checked)} />
          Allow an empty allowlist (in allowlist mode, no {what} then gets through)
        </label>
        <button type="submit" disabled={save.busy}>
          Save {what} policy
        </button>
      </form>
      <Outcome id={`${p}-problems`} save={save} />
      <h3 id={`${p}-list`}>Allowlist</h3>
      {list.loading && !list.data ? <Loading what="the allowlist" /> : null}
      {list.data && list.data.data.length === 0 ? <Empty>The allowlist is empty.</Empty> : null}
      {list.data && list.data.data.length > 0 ? (
        <table aria-labelledby={`${p}-list`}>
          <thead>
            <tr>
              <th scope="col">Address or domain</th>
              <th scope="col">Added</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((entry) => (
              <tr key={entry.email}>
                <td>{entry.email}</td>
                <td>
                  <When at={entry.created_at} />
                </td>
                <td>
                  <button
                    type="button"
                    class="secondary"
                    disabled={save.busy}
                    aria-label={`Remove ${entry.email}`}
                    onClick={() =>
                      act(async () => {
                        await props.api.remove(mailboxId, entry.email, { forceEmpty: force });
                        return `Removed ${entry.email}.`;
                      })
                    }
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          act(async () => {
            const added = await props.api.add(mailboxId, email.trim());
            setEmail("");
            return added.already_existed ? `${added.email} was already listed.` : `Added ${added.email}.`;
          });
        }}
      >
        <Field
          id={`${p}-add`}
          label={`Add a ${what}`}
          hint="An address, or @domain for everyone at that domain."
        >
          <input
            id={`${p}-add`}
            value={email}
            maxLength={320}
            aria-describedby={`${p}-add-hint`}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" disabled={save.busy}>
          Add {what}
        </button>
      </form>
    </Section>
  );
}

const EXPOSURE = [
  ["metadata_only", "metadata only: agents see each attachment's description"],
  ["derived_content", "derived content: agents may also read extracted text"],
  ["raw_download_selected_types", "raw download: agents may also download the families below"],
] as const;
type Exposure = (typeof EXPOSURE)[number][0];
const FAMILIES = ["pdf", "text", "csv", "image", "*"] as const;

function AttachmentAccess({ mailbox: m, onSaved }: Saved) {
  const [mode, setMode] = useState<Exposure>(m.attachment_exposure_mode);
  const [families, setFamilies] = useState<string[]>(m.attachment_allowed_file_families);
  const [acceptImages, setAcceptImages] = useState(false);
  const [outbound, setOutbound] = useState(m.outbound_attachments_enabled);
  const [acceptOutboundImages, setAcceptOutboundImages] = useState(false);
  const save = useSave();
  const raw = mode === "raw_download_selected_types";
  return (
    <Section id="s-attachments" title="Attachment access">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.run(async () => {
            await pb.request("POST", `/v1/mailboxes/${encodeURIComponent(m.id)}/attachment-access`, {
              body: {
                mode,
                ...(raw ? { allowed_file_families: families } : {}),
                ...(acceptImages ? { accept_image_risk_version: m.current_image_risk_version } : {}),
                outbound_enabled: outbound,
                ...(acceptOutboundImages
                  ? { accept_outbound_image_disclaimer_version: m.current_outbound_image_disclaimer_version }
                  : {}),
              },
            });
            onSaved();
            return "Attachment access saved.";
          });
        }}
      >
        <Field id="attachment-mode" label="What agent keys may read of attachments">
          <select
            id="attachment-mode"
            value={mode}
            onChange={(e) => setMode(e.currentTarget.value as Exposure)}
          >
            {EXPOSURE.map(([value, words]) => (
              <option key={value} value={value}>
                {words}
              </option>
            ))}
          </select>
        </Field>
        {raw ? (
          <fieldset>
            <legend>File families agents may download</legend>
            {FAMILIES.map((f) => (
              <label key={f} class="check">
                <input
                  type="checkbox"
                  checked={families.includes(f)}
                  onChange={(e) => {
                    const on = e.currentTarget.checked;
                    setFamilies((fs) => (on ? [...fs, f] : fs.filter((x) => x !== f)));
                  }}
                />
                {f === "*" ? "* (any family but images)" : f}
              </label>
            ))}
          </fieldset>
        ) : null}
        {raw && families.includes("image") && !m.image_raw_download_confirmed ? (
          <label class="check">
            <input
              type="checkbox"
              checked={acceptImages}
              onChange={(e) => setAcceptImages(e.currentTarget.checked)}
            />
            I accept the image-risk text {m.current_image_risk_version} (docs/attachments.md)
          </label>
        ) : null}
        <label class="check">
          <input type="checkbox" checked={outbound} onChange={(e) => setOutbound(e.currentTarget.checked)} />
          Sends may carry attachments
        </label>
        {outbound && !m.outbound_image_disclaimer_accepted ? (
          <label class="check">
            <input
              type="checkbox"
              checked={acceptOutboundImages}
              onChange={(e) => setAcceptOutboundImages(e.currentTarget.checked)}
            />
            Sends may carry images: I accept the outbound image disclaimer{" "}
            {m.current_outbound_image_disclaimer_version}
          </label>
        ) : null}
        <Outcome id="attachments-problems" save={save} />
        <button type="submit" disabled={save.busy}>
          Save attachment access
        </button>
      </form>
    </Section>
  );
}
