import assert from "node:assert/strict";
import { it } from "node:test";
import { ConnectionError } from "@postbox/sdk";
import { errorFromResponse } from "../../../sdk/src/errors.ts";
import { errorResult, ok } from "../../src/results.ts";

it("a result is an object in structuredContent and the same JSON after a summary line in text", () => {
  const r = ok("2 mailboxes", { mailboxes: [{ name: "a" }], has_more: false });
  assert.deepEqual(r.structuredContent, { mailboxes: [{ name: "a" }], has_more: false });
  const text = r.content[0];
  assert.ok(text?.type === "text");
  const [summary, json] = text.text.split("\n\n");
  assert.equal(summary, "2 mailboxes");
  assert.deepEqual(JSON.parse(json!), r.structuredContent);
});

it("an API refusal becomes a tool error with its code, agent_instructions, field errors and Retry-After", () => {
  const suppressed = errorResult(
    errorFromResponse(
      422,
      {
        error: "recipient x@example.com is suppressed",
        code: "RECIPIENT_SUPPRESSED",
        details: { recipient: "x@example.com", agent_instructions: ["Do not retry this send."] },
      },
      null,
    ),
  );
  assert.equal(suppressed.isError, true);
  assert.deepEqual(suppressed.structuredContent, {
    error: {
      code: "RECIPIENT_SUPPRESSED",
      message: "recipient x@example.com is suppressed",
      status: 422,
      agent_instructions: ["Do not retry this send."],
      details: { recipient: "x@example.com" },
    },
  });
  const text = suppressed.content[0];
  assert.ok(text?.type === "text");
  assert.equal(
    text.text,
    "Error RECIPIENT_SUPPRESSED: recipient x@example.com is suppressed\nWhat to do:\n- Do not retry this send.",
  );

  const invalid = errorResult(
    errorFromResponse(
      400,
      { error: "body.to is required", code: "VALIDATION_ERROR", errors: ["body.to is required"] },
      null,
    ),
  );
  assert.deepEqual((invalid.structuredContent as { error: unknown }).error, {
    code: "VALIDATION_ERROR",
    message: "body.to is required",
    status: 400,
    field_errors: ["body.to is required"],
  });
  const limited = errorResult(errorFromResponse(429, { error: "slow down", code: "RATE_LIMITED" }, 30));
  assert.equal(
    (limited.structuredContent as { error: { retry_after_seconds: number } }).error.retry_after_seconds,
    30,
  );
});

it("an unreachable server and an unexpected failure are tool errors too, never a thrown protocol error", () => {
  const down = errorResult(
    new ConnectionError("could not reach http://127.0.0.1:9", { status: null, code: "CONNECTION_ERROR" }),
  );
  assert.equal(down.isError, true);
  assert.equal((down.structuredContent as { error: { code: string } }).error.code, "CONNECTION_ERROR");
  const bug = errorResult(new TypeError("x is undefined"));
  assert.equal((bug.structuredContent as { error: { code: string } }).error.code, "INTERNAL_ERROR");
});
