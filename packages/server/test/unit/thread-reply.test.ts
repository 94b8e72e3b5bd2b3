import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError } from "../../src/domain/errors.ts";
import { type ThreadInbound, threadReplyTarget } from "../../src/domain/thread-reply.ts";

const SELF = "desk@test.local";
let clock = 0;
const msg = (id: string, sender: string | null, replyTo: string[] = []): ThreadInbound & { id: string } => ({
  id,
  sender,
  replyTo,
  createdAt: new Date(Date.UTC(2026, 0, 1) + ++clock * 60_000),
});

function refused(fn: () => unknown, code: string, refusal: AppError["refusal"]) {
  assert.throws(fn, (err) => err instanceof AppError && err.code === code && err.refusal === refusal);
}

describe("a send into a thread", () => {
  it("goes to the one counterpart, answering their latest message", () => {
    const a1 = msg("a1", "Ann@Example.com");
    const a2 = msg("a2", "ann@example.com");
    const r = threadReplyTarget([a1, a2], [], SELF);
    assert.deepEqual(r.to, ["ann@example.com"]);
    assert.equal(r.parent.id, "a2");
  });

  it("uses Reply-To as the counterpart's address", () => {
    const r = threadReplyTarget([msg("m", "noreply@shop.example", ["support@shop.example"])], [], SELF);
    assert.deepEqual(r.to, ["support@shop.example"]);
  });

  it("asks which one when several wrote in, naming them", () => {
    try {
      threadReplyTarget([msg("a", "ann@example.com"), msg("b", "bob@example.com")], [], SELF);
      assert.fail("not refused");
    } catch (err) {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, "AMBIGUOUS_THREAD_RECIPIENT");
      assert.equal(err.refusal, "invalid");
      assert.deepEqual(err.details?.participants, ["ann@example.com", "bob@example.com"]);
    }
  });

  it("takes a named recipient who wrote in (by sender or Reply-To), answering their latest message", () => {
    const a = msg("a", "ann@example.com");
    const b1 = msg("b1", "bob@example.com");
    const b2 = msg("b2", "bob-noreply@example.com", ["Bob@example.com"]);
    const c = msg("c", "ann@example.com");
    const r = threadReplyTarget([a, b1, b2, c], ["BOB@example.com"], SELF);
    assert.equal(r.to, null, "the caller's own recipients stand");
    assert.equal(r.parent.id, "b2");
    assert.equal(threadReplyTarget([a, b1, b2, c], ["ann@example.com"], SELF).parent.id, "c");
  });

  it("refuses a recipient who never wrote in, and the mailbox itself", () => {
    const thread = [msg("a", "ann@example.com")];
    refused(
      () => threadReplyTarget(thread, ["eve@example.com"], SELF),
      "RECIPIENT_NOT_IN_THREAD",
      "unprocessable",
    );
    refused(
      () => threadReplyTarget(thread, ["ann@example.com", "eve@example.com"], SELF),
      "RECIPIENT_NOT_IN_THREAD",
      "unprocessable",
    );
    refused(
      () => threadReplyTarget([...thread, msg("s", SELF)], [SELF.toUpperCase()], SELF),
      "RECIPIENT_NOT_IN_THREAD",
      "unprocessable",
    );
  });

  it("refuses a thread nobody wrote into", () => {
    refused(() => threadReplyTarget([], [], SELF), "THREAD_HAS_NO_INBOUND_RECIPIENT", "unprocessable");
    refused(
      () => threadReplyTarget([], ["ann@example.com"], SELF),
      "THREAD_HAS_NO_INBOUND_RECIPIENT",
      "unprocessable",
    );
    // Its own mail coming back is not a counterpart.
    refused(
      () => threadReplyTarget([msg("echo", SELF)], [], SELF),
      "THREAD_HAS_NO_INBOUND_RECIPIENT",
      "unprocessable",
    );
    refused(
      () => threadReplyTarget([msg("x", null)], [], SELF),
      "THREAD_HAS_NO_INBOUND_RECIPIENT",
      "unprocessable",
    );
  });
});
