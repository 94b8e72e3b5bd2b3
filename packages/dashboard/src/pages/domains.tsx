import type { DnsRecordCheck, Domain } from "@postbox/sdk";
import { useState } from "preact/hooks";
import { pb } from "../api.ts";
import { useAction, useLoad } from "../components/async.ts";
import { ConfirmButton } from "../components/confirm.tsx";
import { Badge, ErrorNote, Field, Loading, Notice, Page, When } from "../components/ui.tsx";

const TONE = {
  verified: "ok",
  pending: "warn",
  missing: "bad",
  mismatch: "bad",
  error: "warn",
  failed: "bad",
} as const;

/** The domains mailboxes live on: the records to publish for each custom one, verification, the default. */
export function Domains() {
  const list = useLoad(() => pb.domains.list(), []);
  const [done, setDone] = useState<{ text: string; ok: boolean } | null>(null);
  const changed = (text: string, ok = true) => {
    setDone({ text, ok });
    list.reload();
  };
  return (
    <Page
      title="Domains"
      actions={
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      }
    >
      <p class="muted">
        A custom domain receives mail and takes new mailboxes once its MX and DKIM records are published and
        verified; SPF and DMARC are advised.
      </p>
      {done?.ok ? <Notice>{done.text}</Notice> : <ErrorNote error={done?.text ?? null} />}
      <ErrorNote error={list.error} />
      {list.loading && !list.data ? <Loading what="domains" /> : null}
      {list.data?.map((d) => (
        <DomainCard key={d.id} d={d} onChanged={changed} />
      ))}
      <NewDomain
        onAdded={(d) =>
          changed(`Added ${d.domain_name}: publish its records below, then press “Verify now”.`)
        }
      />
    </Page>
  );
}

function DomainCard(props: { d: Domain; onChanged: (what: string, ok?: boolean) => void }) {
  const { d } = props;
  const custom = d.domain_type === "custom";
  const [zone, setZone] = useState<string | null>(null);
  const action = useAction();
  const titleId = `domain-${d.id}`;
  return (
    <article class="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{d.domain_name}</h2>
      <p class="row">
        <Badge tone={TONE[d.verification_status]}>{d.verification_status}</Badge>
        {d.is_default ? <Badge tone="ok">default</Badge> : null}
        {custom ? null : <Badge>the installation's domain</Badge>}
      </p>
      {custom ? (
        <>
          <dl class="meta">
            <dt>DKIM selector</dt>
            <dd>{d.dkim_selector}</dd>
            <dt>Last checked</dt>
            <dd>
              <When at={d.last_checked_at} />
            </dd>
            <dt>Verified</dt>
            <dd>
              <When at={d.verified_at} />
            </dd>
            <dt>Added</dt>
            <dd>
              <When at={d.created_at} />
            </dd>
          </dl>
          <Records domain={d.domain_name} records={d.dns_records_json} />
        </>
      ) : null}
      <ErrorNote error={action.error} />
      <div class="row">
        {custom ? (
          <button
            type="button"
            aria-label={`Verify now ${d.domain_name}`}
            disabled={action.busy}
            onClick={() =>
              action.run(async () => {
                const v = await pb.domains.verify(d.id);
                if (v.verification_status === "verified") props.onChanged(`${d.domain_name} is verified.`);
                else
                  props.onChanged(
                    `${d.domain_name} is not verified: ${v.failure_reason ?? v.message}.`,
                    false,
                  );
              })
            }
          >
            Verify now
          </button>
        ) : null}
        {!d.is_default && d.verification_status === "verified" ? (
          <button
            type="button"
            class="secondary"
            aria-label={`Set as default ${d.domain_name}`}
            disabled={action.busy}
            onClick={() =>
              action.run(async () => {
                await pb.domains.setDefault(d.id);
                props.onChanged(`New mailboxes go to ${d.domain_name} unless they name a domain.`);
              })
            }
          >
            Set as default
          </button>
        ) : null}
        {custom ? (
          <button
            type="button"
            class="secondary"
            aria-expanded={zone !== null}
            aria-label={`Zone file of ${d.domain_name}`}
            disabled={action.busy}
            onClick={() =>
              zone !== null ? setZone(null) : action.run(async () => setZone(await pb.domains.zoneFile(d.id)))
            }
          >
            Zone file
          </button>
        ) : null}
        {custom ? (
          <ConfirmButton
            label="Delete"
            name={`Delete ${d.domain_name}`}
            question={`Delete ${d.domain_name} and its DKIM key?`}
            confirmLabel="Delete domain"
            busy={action.busy}
            onConfirm={() =>
              action.run(async () => {
                await pb.domains.delete(d.id);
                props.onChanged(`Deleted ${d.domain_name}.`);
              })
            }
          />
        ) : null}
      </div>
      {zone !== null ? (
        <>
          <h3>Zone file of {d.domain_name}</h3>
          <pre class="json">{zone}</pre>
        </>
      ) : null}
    </article>
  );
}

function Records(props: { domain: string; records: DnsRecordCheck[] }) {
  return (
    <table class="records">
      <caption class="visually-hidden">DNS records of {props.domain}</caption>
      <thead>
        <tr>
          <th scope="col">Purpose</th>
          <th scope="col">Type</th>
          <th scope="col">Name</th>
          <th scope="col">Value to publish</th>
          <th scope="col">Status</th>
          <th scope="col">Found</th>
        </tr>
      </thead>
      <tbody>
        {props.records.map((r) => (
          <tr key={`${r.purpose}-${r.name}`}>
            <td>
              {r.purpose} <span class="muted">{r.required ? "required" : "advised"}</span>
            </td>
            <td>{r.type}</td>
            <td class="mono">{r.name}</td>
            <td class="mono value">
              {r.priority !== null ? `${r.priority} ` : ""}
              {r.value}
            </td>
            <td>
              <Badge tone={TONE[r.status]}>{r.status}</Badge>
            </td>
            <td class="mono">{r.found.join(", ")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function NewDomain(props: { onAdded: (d: Domain) => void }) {
  const [name, setName] = useState("");
  const action = useAction();
  return (
    <form
      class="card"
      aria-labelledby="new-domain-title"
      onSubmit={async (e) => {
        e.preventDefault();
        await action.run(async () => {
          const d = await pb.domains.create({ domain: name.trim() });
          setName("");
          props.onAdded(d);
        });
      }}
    >
      <h2 id="new-domain-title">Add a domain</h2>
      <Field id="domain-name" label="Domain name" hint="For example mail.example.com.">
        <input
          id="domain-name"
          required
          autocomplete="off"
          spellcheck={false}
          aria-describedby="domain-name-hint"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </Field>
      <ErrorNote error={action.error} />
      <button type="submit" disabled={action.busy}>
        Add domain
      </button>
    </form>
  );
}
