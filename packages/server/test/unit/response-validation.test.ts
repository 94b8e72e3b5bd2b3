import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Fastify from "fastify";
import { Type } from "typebox";
import { createResponseValidator } from "../../src/api/response-validation.ts";
import { errors, MailboxRef, sharedSchemas } from "../../src/api/schemas/index.ts";
import type { Logger } from "../../src/platform/logger.ts";

const mailbox = {
  id: "2c9f6b1e-7d4a-4e3b-9a8c-1f2e3d4c5b6a",
  name: "support",
  address: "support@test.local",
  domain: "test.local",
  display_name: null,
  pii_mode: "passthrough",
  pii_redaction_config: {},
  injection_threshold: 0.5,
  injection_threshold_is_default: true,
  hitl_mode: "disabled",
  scanner_policy: {},
  approval_expiry_hours: 72,
  retention_days: null,
  recipient_policy: "blocklist",
  send_quotas: [],
  status: "active",
  effective_from_display: "support",
  approval_expiry: "72h",
  recipient_policy_mode: "blocklist",
  sender_policy_mode: "blocklist",
  allow_thread_replies: true,
  sandbox: false,
  agent_authoring_mode: "send_and_draft",
  agent_send_policy: "open",
  restricted_by: null,
  agent_send_containment: false,
  policy_mode: "custom",
  send_window: null,
  default_subaddress_mode: "none",
  attachment_exposure_mode: "metadata_only",
  attachment_allowed_file_families: [],
  image_raw_download_confirmed: false,
  current_image_risk_version: "2026-11-image-risk-v1",
  attachment_image_access_accepted_at: null,
  attachment_image_access_accepted_version: null,
  outbound_attachments_enabled: false,
  outbound_image_disclaimer_accepted: false,
  current_outbound_image_disclaimer_version: "2026-11-outbound-image-v1",
  created_at: "2026-11-22T10:00:00.000Z",
  updated_at: "2026-11-22T10:00:00.000Z",
};

/** A server with the validator, and routes that answer what the test tells them to. */
async function serverAnswering(answer: { status: number; body: unknown; type?: string }) {
  const logged: { msg: string; fields: Record<string, unknown> }[] = [];
  const logger = {
    error: (msg: string, fields: Record<string, unknown>) => logged.push({ msg, fields }),
    warn() {},
    info() {},
    debug() {},
  } as unknown as Logger;
  const app = Fastify();
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  for (const s of sharedSchemas()) app.addSchema(s);
  app.addHook("onSend", createResponseValidator(logger));
  app.get(
    "/mailbox",
    {
      schema: {
        response: {
          200: MailboxRef,
          ...errors("NOT_FOUND"),
          201: { content: { "text/plain": { schema: Type.String() } } },
        },
      },
    },
    async (_req, reply) => {
      if (answer.type) void reply.type(answer.type);
      return reply.status(answer.status as 200).send(answer.body as never);
    },
  );
  app.get("/undeclared", async () => ({ ok: true }));
  await app.ready();
  return { app, logged };
}

describe("response validation (POSTBOX_VALIDATE_RESPONSES)", () => {
  it("passes an answer its schema describes, extra fields included", async () => {
    const { app, logged } = await serverAnswering({ status: 200, body: { ...mailbox, a_new_field: 1 } });
    const res = await app.inject({ method: "GET", url: "/mailbox" });
    assert.equal(res.statusCode, 200);
    // Nothing is dropped: the schema is a contract, not a serializer.
    assert.equal(res.json().a_new_field, 1);
    assert.equal(logged.length, 0);
  });

  it("turns a wrong shape into a logged 500 RESPONSE_SCHEMA_VIOLATION", async () => {
    const { app, logged } = await serverAnswering({
      status: 200,
      body: { ...mailbox, id: 42, name: undefined },
    });
    const res = await app.inject({ method: "GET", url: "/mailbox" });
    assert.equal(res.statusCode, 500);
    const body = res.json();
    assert.equal(body.code, "RESPONSE_SCHEMA_VIOLATION");
    assert.match(body.error, /GET \/mailbox answered 200/);
    assert.ok(
      body.details.problems.some((p: string) => p.includes("/id")),
      body.details.problems.join("\n"),
    );
    assert.ok(body.details.problems.some((p: string) => p.includes("name")));
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.msg, "response does not match its schema");
    assert.equal(logged[0]!.fields.status, 200);
  });

  it("refuses an error code its status does not list", async () => {
    const ok = await serverAnswering({ status: 404, body: { error: "no mailbox", code: "NOT_FOUND" } });
    assert.equal((await ok.app.inject({ method: "GET", url: "/mailbox" })).statusCode, 404);
    const wrong = await serverAnswering({
      status: 404,
      body: { error: "no mailbox", code: "NO_SUCH_THING" },
    });
    const res = await wrong.app.inject({ method: "GET", url: "/mailbox" });
    assert.equal(res.statusCode, 500);
    assert.equal(res.json().code, "RESPONSE_SCHEMA_VIOLATION");
  });

  it("refuses a status with no schema, and a route with none at all", async () => {
    const { app } = await serverAnswering({ status: 409, body: { error: "busy", code: "NOT_FOUND" } });
    const res = await app.inject({ method: "GET", url: "/mailbox" });
    assert.equal(res.statusCode, 500);
    assert.match(res.json().details.problems[0], /no schema is declared for status 409/);
    const bare = await app.inject({ method: "GET", url: "/undeclared" });
    assert.equal(bare.statusCode, 500);
    assert.match(bare.json().details.problems[0], /declares no response schemas/);
  });

  it("checks the media type of a status declared by content type", async () => {
    const text = await serverAnswering({ status: 201, body: "hello", type: "text/plain" });
    assert.equal((await text.app.inject({ method: "GET", url: "/mailbox" })).statusCode, 201);
    const json = await serverAnswering({ status: 201, body: { hello: true } });
    const res = await json.app.inject({ method: "GET", url: "/mailbox" });
    assert.equal(res.statusCode, 500);
    assert.match(res.json().details.problems[0], /not declared with Content-Type application\/json/);
  });
});
