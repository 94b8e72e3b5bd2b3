import type { EventType, Webhook, WebhookDelivery } from "@postbox/sdk";
import { useState } from "preact/hooks";
import { pb } from "../api.ts";
import { useAction, useLoad } from "../components/async.ts";
import { ConfirmButton } from "../components/confirm.tsx";
import { EVENT_TYPES } from "../components/event-types.ts";
import { ShownOnce } from "../components/secret.tsx";
import { Badge, Empty, ErrorNote, Field, Loading, Notice, Page, When } from "../components/ui.tsx";
import { navigate, queryOf } from "../router.ts";

/** The account's webhooks: create one (its signing secret shown once), see which are failing, open one. */
export function Webhooks() {
  const list = useLoad(() => pb.webhooks.list(), []);
  const [created, setCreated] = useState<{ id: string; url: string; secret: string } | null>(null);
  return (
    <Page
      title="Webhooks"
      actions={
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      }
    >
      <p class="muted">
        Postbox posts each subscribed event to the URL, signed with the webhook's secret
        (X-Postbox-Signature), and retries failed deliveries; a webhook whose deliveries keep failing is
        disabled.
      </p>
      {created ? (
        <>
          <ShownOnce
            id="webhook-secret"
            title={`Created the webhook for ${created.url}`}
            label="Signing secret"
            value={created.secret}
            onDone={() => setCreated(null)}
          />
          <p>
            <a href={`#/webhooks/${created.id}`}>Open the new webhook</a>
          </p>
        </>
      ) : null}
      <ErrorNote error={list.error} />
      {list.loading && !list.data ? <Loading what="webhooks" /> : null}
      {list.data && list.data.length === 0 ? <Empty>No webhooks yet.</Empty> : null}
      {list.data && list.data.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">State</th>
              <th scope="col">Last success</th>
              <th scope="col">Last failure</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((w) => (
              <tr key={w.id}>
                <td>
                  <a href={`#/webhooks/${w.id}`}>{w.url}</a>
                  {w.description ? <div class="muted">{w.description}</div> : null}
                </td>
                <td>{w.enabled_events.join(", ")}</td>
                <td>
                  <WebhookState w={w} />
                </td>
                <td>
                  <When at={w.last_success_at} />
                </td>
                <td>
                  <When at={w.last_failure_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <NewWebhook
        onCreated={(w, secret) => {
          setCreated({ id: w.id, url: w.url, secret });
          list.reload();
        }}
      />
    </Page>
  );
}

function WebhookState(props: { w: Webhook }) {
  const { w } = props;
  if (w.enabled) return <Badge tone="ok">enabled</Badge>;
  return (
    <>
      <Badge tone="bad">disabled</Badge>
      {w.disabled_reason ? <div class="muted">{w.disabled_reason}</div> : null}
    </>
  );
}

function NewWebhook(props: { onCreated: (w: Webhook, secret: string) => void }) {
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<EventType[]>(["message.received"]);
  const action = useAction();
  return (
    <form
      class="card"
      aria-labelledby="new-webhook-title"
      onSubmit={async (e) => {
        e.preventDefault();
        await action.run(async () => {
          const w = await pb.webhooks.create({
            url: url.trim(),
            enabled_events: events,
            ...(description.trim() ? { description: description.trim() } : {}),
          });
          setUrl("");
          setDescription("");
          props.onCreated(w, w.signing_secret);
        });
      }}
    >
      <h2 id="new-webhook-title">New webhook</h2>
      <Field id="webhook-url" label="URL" hint="A public https address that answers 2xx.">
        <input
          id="webhook-url"
          type="url"
          class="wide"
          required
          aria-describedby="webhook-url-hint"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
      </Field>
      <Field id="webhook-description" label="Description">
        <input
          id="webhook-description"
          class="wide"
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </Field>
      <EventChoice value={events} onChange={setEvents} />
      <ErrorNote error={action.error} />
      <button type="submit" disabled={action.busy || events.length === 0}>
        Create webhook
      </button>
    </form>
  );
}

/** The event types a webhook is subscribed to, as a group of checkboxes. */
function EventChoice(props: { value: EventType[]; onChange: (v: EventType[]) => void }) {
  return (
    <fieldset class="checks">
      <legend>Event types</legend>
      {props.value.length === 0 ? <p class="muted">Choose at least one.</p> : null}
      <div class="check-grid">
        {EVENT_TYPES.map((t) => (
          <label key={t}>
            <input
              type="checkbox"
              checked={props.value.includes(t)}
              onChange={(e) =>
                props.onChange(
                  e.currentTarget.checked ? [...props.value, t] : props.value.filter((x) => x !== t),
                )
              }
            />{" "}
            {t}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** One webhook: its state, test and secret rotation, its settings, and the delivery log with retry. */
export function WebhookPage(props: { id: string; path: string }) {
  const hook = useLoad(() => pb.webhooks.get(props.id), [props.id]);
  const q = queryOf(props.path);
  const beforeAt = q.get("before_at");
  const beforeId = q.get("before_id");
  const deliveries = useLoad(
    () => pb.webhooks.listDeliveries(props.id, { limit: 25, before_at: beforeAt, before_id: beforeId }),
    [props.id, beforeAt, beforeId],
  );
  const [done, setDone] = useState<{ text: string; ok: boolean } | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const w = hook.data;
  const changed = (text: string, ok = true) => {
    setDone({ text, ok });
    hook.reload();
    deliveries.reload();
  };
  return (
    <Page title={w ? `Webhook ${w.url}` : "Webhook"}>
      <p>
        <a href="#/webhooks">All webhooks</a>
      </p>
      {done?.ok ? <Notice>{done.text}</Notice> : <ErrorNote error={done?.text ?? null} />}
      {secret && w ? (
        <ShownOnce
          id="rotated-secret"
          title={`Rotated the secret of ${w.url}`}
          label="New signing secret"
          value={secret}
          onDone={() => setSecret(null)}
        />
      ) : null}
      <ErrorNote error={hook.error} />
      {hook.loading && !w ? <Loading what="the webhook" /> : null}
      {w ? (
        <>
          <dl class="meta">
            <dt>State</dt>
            <dd>
              <WebhookState w={w} />
            </dd>
            <dt>Events</dt>
            <dd>{w.enabled_events.join(", ")}</dd>
            <dt>Signature</dt>
            <dd>{w.signature_scheme}</dd>
            <dt>Failures in a row</dt>
            <dd>{w.consecutive_abandoned}</dd>
            <dt>Last success</dt>
            <dd>
              <When at={w.last_success_at} />
            </dd>
            <dt>Last failure</dt>
            <dd>
              <When at={w.last_failure_at} />
              {w.last_error ? <div class="muted">{w.last_error}</div> : null}
            </dd>
            {w.previous_secret_expires_at ? (
              <>
                <dt>Old secret valid until</dt>
                <dd>
                  <When at={w.previous_secret_expires_at} />
                </dd>
              </>
            ) : null}
            <dt>Created</dt>
            <dd>
              <When at={w.created_at} />
            </dd>
          </dl>
          <WebhookActions w={w} onChanged={changed} onSecret={setSecret} />
          <WebhookSettings
            key={w.updated_at}
            w={w}
            onSaved={() => changed("Saved the webhook's settings.")}
          />
        </>
      ) : null}
      <section aria-labelledby="deliveries-title">
        <h2 id="deliveries-title">Delivery log</h2>
        <ErrorNote error={deliveries.error} />
        {deliveries.loading && !deliveries.data ? <Loading what="deliveries" /> : null}
        {deliveries.data && deliveries.data.deliveries.length === 0 ? (
          <Empty>No deliveries yet.</Empty>
        ) : null}
        {deliveries.data && deliveries.data.deliveries.length > 0 ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Response</th>
                <th scope="col">Error</th>
                <th scope="col">Created</th>
                <th scope="col">Last attempt</th>
                <th scope="col">Next attempt or delivered</th>
                <th scope="col">Retry</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.data.deliveries.map((d) => (
                <DeliveryRow key={d.id} d={d} onRetried={() => changed(`Queued delivery ${d.id} again.`)} />
              ))}
            </tbody>
          </table>
        ) : null}
        <div class="row">
          {beforeAt ? (
            <button type="button" class="secondary" onClick={() => navigate(`/webhooks/${props.id}`)}>
              Newest deliveries
            </button>
          ) : null}
          {deliveries.data?.has_more && deliveries.data.next_before_at && deliveries.data.next_before_id ? (
            <button
              type="button"
              onClick={() => {
                const next = new URLSearchParams({
                  before_at: deliveries.data!.next_before_at!,
                  before_id: deliveries.data!.next_before_id!,
                });
                navigate(`/webhooks/${props.id}?${next}`);
              }}
            >
              Older deliveries
            </button>
          ) : null}
        </div>
      </section>
    </Page>
  );
}

function WebhookActions(props: {
  w: Webhook;
  onChanged: (what: string, ok?: boolean) => void;
  onSecret: (s: string) => void;
}) {
  const { w } = props;
  const [testEvent, setTestEvent] = useState<EventType>("webhook.test");
  const [graceHours, setGraceHours] = useState("24");
  const action = useAction();
  return (
    <section class="card" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      <div class="row">
        <button
          type="button"
          class={w.enabled ? "secondary" : ""}
          disabled={action.busy}
          onClick={() =>
            action.run(async () => {
              await pb.webhooks.update(w.id, { enabled: !w.enabled });
              props.onChanged(w.enabled ? "Disabled the webhook." : "Enabled the webhook.");
            })
          }
        >
          {w.enabled ? "Disable" : "Enable"}
        </button>
        <ConfirmButton
          label="Delete"
          name="Delete webhook"
          question="Delete this webhook and its delivery log?"
          confirmLabel="Delete webhook"
          busy={action.busy}
          onConfirm={() =>
            action.run(async () => {
              await pb.webhooks.delete(w.id);
              navigate("/webhooks");
            })
          }
        />
      </div>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () => {
            const d = await pb.webhooks.test(w.id, { event: testEvent });
            const why = d.last_error ?? `HTTP ${d.last_status ?? "—"}`;
            if (d.state === "delivered") props.onChanged(`Test delivered (HTTP ${d.last_status}).`);
            else if (d.state === "pending")
              props.onChanged(`Test not delivered yet (${why}); it will be retried.`, false);
            else props.onChanged(`Test failed: ${why}.`, false);
          });
        }}
      >
        <label>
          Test event{" "}
          <select value={testEvent} onChange={(e) => setTestEvent(e.currentTarget.value as EventType)}>
            {EVENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="secondary" disabled={action.busy || !w.enabled}>
          Send test
        </button>
      </form>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () => {
            const r = await pb.webhooks.rotateSecret(w.id, {
              grace_seconds: Math.round(Number(graceHours) * 3600),
            });
            props.onSecret(r.signing_secret);
            props.onChanged("Rotated the signing secret.");
          });
        }}
      >
        <label>
          Keep the old secret valid for (hours){" "}
          <input
            type="number"
            min={0}
            max={168}
            step="any"
            required
            value={graceHours}
            onInput={(e) => setGraceHours(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="secondary" disabled={action.busy}>
          Rotate secret
        </button>
      </form>
      <ErrorNote error={action.error} />
    </section>
  );
}

function WebhookSettings(props: { w: Webhook; onSaved: () => void }) {
  const { w } = props;
  const [url, setUrl] = useState(w.url);
  const [description, setDescription] = useState(w.description ?? "");
  const [events, setEvents] = useState<EventType[]>(w.enabled_events);
  const action = useAction();
  return (
    <form
      class="card"
      aria-labelledby="settings-title"
      onSubmit={async (e) => {
        e.preventDefault();
        await action.run(async () => {
          await pb.webhooks.update(w.id, {
            url: url.trim(),
            description: description.trim() || null,
            enabled_events: events,
          });
          props.onSaved();
        });
      }}
    >
      <h2 id="settings-title">Settings</h2>
      <Field id="edit-url" label="URL">
        <input
          id="edit-url"
          type="url"
          class="wide"
          required
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
      </Field>
      <Field id="edit-description" label="Description">
        <input
          id="edit-description"
          class="wide"
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </Field>
      <EventChoice value={events} onChange={setEvents} />
      <ErrorNote error={action.error} />
      <button type="submit" disabled={action.busy || events.length === 0}>
        Save settings
      </button>
    </form>
  );
}

function DeliveryRow(props: { d: WebhookDelivery; onRetried: () => void }) {
  const { d } = props;
  const action = useAction();
  const tone = d.state === "delivered" ? "ok" : d.state === "failed" ? "bad" : "warn";
  return (
    <tr>
      <td>
        {d.event}
        {d.event_id ? <div class="muted mono">{d.event_id}</div> : null}
      </td>
      <td>
        <Badge tone={tone}>{d.state}</Badge>
      </td>
      <td>{d.attempts}</td>
      <td>{d.last_status ?? "—"}</td>
      <td>{d.last_error ?? ""}</td>
      <td>
        <When at={d.created_at} />
      </td>
      <td>
        <When at={d.last_attempt_at} />
      </td>
      <td>
        <When at={d.state === "delivered" ? d.delivered_at : d.next_attempt_at} />
      </td>
      <td>
        {d.state === "failed" ? (
          <button
            type="button"
            class="secondary"
            aria-label={`Retry delivery ${d.id}`}
            disabled={action.busy}
            onClick={() =>
              action.run(async () => {
                await pb.webhooks.retryDelivery(d.webhook_id, d.id);
                props.onRetried();
              })
            }
          >
            Retry
          </button>
        ) : null}
        <ErrorNote error={action.error} />
      </td>
    </tr>
  );
}
