import type { ApiKey, CreatedApiKey, Mailbox } from "@postbox/sdk";
import { useState } from "preact/hooks";
import { pb, type Session } from "../api.ts";
import { useAction, useLoad } from "../components/async.ts";
import { ConfirmButton } from "../components/confirm.tsx";
import { ShownOnce } from "../components/secret.tsx";
import { Badge, Empty, ErrorNote, Field, Loading, Notice, Page, When } from "../components/ui.tsx";

async function allMailboxes(): Promise<Mailbox[]> {
  const all: Mailbox[] = [];
  for await (const m of pb.mailboxes.list({ limit: 100, autoPaginate: true })) all.push(m);
  return all;
}

const nameOf = (k: ApiKey) => k.label ?? k.prefix;

/** The account's API keys: create (the key shown once), bind agent keys to mailboxes, revoke. */
export function Keys(props: { session: Session }) {
  const [showRevoked, setShowRevoked] = useState(false);
  const keys = useLoad(() => pb.apiKeys.list({ includeRevoked: showRevoked }), [showRevoked]);
  const mailboxes = useLoad(allMailboxes, []);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const address = new Map((mailboxes.data ?? []).map((m) => [m.id, m.address]));
  const changed = (what: string) => {
    setDone(what);
    setEditing(null);
    keys.reload();
  };
  return (
    <Page
      title="API keys"
      actions={
        <button type="button" onClick={keys.reload}>
          Refresh
        </button>
      }
    >
      <p class="muted">
        Admin keys manage the account; agent keys reach only the mailboxes they are bound to and cannot
        approve, release or change policy.
      </p>
      {created ? (
        <ShownOnce
          id="new-key"
          title={`Created the ${created.role} key ${created.label ?? created.prefix}`}
          label="New API key"
          value={created.api_key}
          onDone={() => setCreated(null)}
        />
      ) : null}
      {done ? <Notice>{done}</Notice> : null}
      <ErrorNote error={keys.error ?? mailboxes.error} />
      <label>
        <input
          type="checkbox"
          checked={showRevoked}
          onChange={(e) => setShowRevoked(e.currentTarget.checked)}
        />{" "}
        Show revoked keys
      </label>
      {keys.loading && !keys.data ? <Loading what="keys" /> : null}
      {keys.data && keys.data.data.length === 0 ? <Empty>No keys.</Empty> : null}
      {keys.data && keys.data.data.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">Key</th>
              <th scope="col">Role</th>
              <th scope="col">Mailboxes</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.data.data.flatMap((k) => {
              const mine = k.id === props.session.api_key_id;
              const rows = [
                <tr key={k.id}>
                  <td>
                    {k.label ?? <span class="muted">(no label)</span>}{" "}
                    {mine ? <Badge tone="warn">this session</Badge> : null}
                  </td>
                  <td class="mono">{k.prefix}</td>
                  <td>{k.role}</td>
                  <td>
                    {k.role === "agent"
                      ? k.mailbox_ids.map((id) => address.get(id) ?? id).join(", ") || "none"
                      : "all"}
                  </td>
                  <td>
                    <When at={k.created_at} />
                  </td>
                  <td>
                    <When at={k.last_used_at} />
                  </td>
                  <td>
                    {k.status === "active" ? (
                      <Badge tone="ok">active</Badge>
                    ) : (
                      <>
                        <Badge tone="bad">revoked</Badge> <When at={k.revoked_at} />
                      </>
                    )}
                  </td>
                  <td>
                    {k.status === "active" ? (
                      <KeyActions
                        k={k}
                        mine={mine}
                        onRebind={() => setEditing(editing === k.id ? null : k.id)}
                        onRevoked={() => changed(`Revoked ${nameOf(k)}.`)}
                      />
                    ) : null}
                  </td>
                </tr>,
              ];
              if (editing === k.id && mailboxes.data)
                rows.push(
                  <tr key={`${k.id}-rebind`}>
                    <td colSpan={8}>
                      <Rebind
                        k={k}
                        mailboxes={mailboxes.data}
                        onSaved={() => changed(`Changed the mailboxes of ${nameOf(k)}.`)}
                        onCancel={() => setEditing(null)}
                      />
                    </td>
                  </tr>,
                );
              return rows;
            })}
          </tbody>
        </table>
      ) : null}
      <NewKey
        mailboxes={mailboxes.data ?? []}
        onCreated={(k) => {
          setDone(null);
          setCreated(k);
          keys.reload();
        }}
      />
    </Page>
  );
}

function KeyActions(props: { k: ApiKey; mine: boolean; onRebind: () => void; onRevoked: () => void }) {
  const { k } = props;
  const action = useAction();
  return (
    <div class="row">
      {k.role === "agent" ? (
        <button
          type="button"
          class="secondary"
          aria-label={`Change mailboxes of ${nameOf(k)}`}
          onClick={props.onRebind}
        >
          Change mailboxes
        </button>
      ) : null}
      <ConfirmButton
        label="Revoke"
        name={`Revoke ${nameOf(k)}`}
        question={
          props.mine ? (
            <strong>
              This dashboard is signed in with this key: revoking it signs you out at once. Revoke it anyway?
            </strong>
          ) : (
            "Revoke this key? Everything using it stops working at once."
          )
        }
        confirmLabel={props.mine ? "Revoke and sign out" : "Revoke key"}
        busy={action.busy}
        onConfirm={() =>
          action.run(async () => {
            await pb.apiKeys.revoke(k.id);
            props.onRevoked();
          })
        }
      />
      <ErrorNote error={action.error} />
    </div>
  );
}

/** Mailboxes to bind an agent key to, by address. */
function MailboxChoice(props: {
  legend: string;
  mailboxes: Mailbox[];
  value: string[];
  onChange: (v: string[]) => void;
}) {
  return (
    <fieldset class="checks">
      <legend>{props.legend}</legend>
      {props.mailboxes.length === 0 ? <p class="muted">No mailboxes yet: create one first.</p> : null}
      <div class="check-grid">
        {props.mailboxes.map((m) => (
          <label key={m.id}>
            <input
              type="checkbox"
              checked={props.value.includes(m.id)}
              onChange={(e) =>
                props.onChange(
                  e.currentTarget.checked ? [...props.value, m.id] : props.value.filter((x) => x !== m.id),
                )
              }
            />{" "}
            {m.address}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function Rebind(props: { k: ApiKey; mailboxes: Mailbox[]; onSaved: () => void; onCancel: () => void }) {
  const [ids, setIds] = useState(props.k.mailbox_ids);
  const action = useAction();
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        await action.run(async () => {
          await pb.apiKeys.rebind(props.k.id, ids);
          props.onSaved();
        });
      }}
    >
      <MailboxChoice
        legend={`Mailboxes of ${nameOf(props.k)}`}
        mailboxes={props.mailboxes}
        value={ids}
        onChange={setIds}
      />
      <ErrorNote error={action.error} />
      <div class="row">
        <button type="submit" disabled={action.busy || ids.length === 0}>
          Save mailboxes
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function NewKey(props: { mailboxes: Mailbox[]; onCreated: (k: CreatedApiKey) => void }) {
  const [role, setRole] = useState<"agent" | "admin">("agent");
  const [label, setLabel] = useState("");
  const [ids, setIds] = useState<string[]>([]);
  const action = useAction();
  const agent = role === "agent";
  return (
    <form
      class="card"
      aria-labelledby="new-key-title"
      onSubmit={async (e) => {
        e.preventDefault();
        await action.run(async () => {
          const k = await pb.apiKeys.create({
            role,
            ...(label.trim() ? { label: label.trim() } : {}),
            ...(agent ? { mailbox_ids: ids } : {}),
          });
          setLabel("");
          setIds([]);
          props.onCreated(k);
        });
      }}
    >
      <h2 id="new-key-title">New key</h2>
      <Field id="key-role" label="Role">
        <select
          id="key-role"
          value={role}
          onChange={(e) => setRole(e.currentTarget.value as "agent" | "admin")}
        >
          <option value="agent">agent: reads and sends for its mailboxes</option>
          <option value="admin">admin: manages the whole account</option>
        </select>
      </Field>
      <Field id="key-label" label="Label">
        <input id="key-label" value={label} onInput={(e) => setLabel(e.currentTarget.value)} />
      </Field>
      {agent ? (
        <MailboxChoice legend="Mailboxes" mailboxes={props.mailboxes} value={ids} onChange={setIds} />
      ) : null}
      <ErrorNote error={action.error} />
      <button type="submit" disabled={action.busy || (agent && ids.length === 0)}>
        Create key
      </button>
    </form>
  );
}
