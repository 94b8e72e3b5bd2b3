import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planThreads, type ThreadCandidate } from "../../src/domain/thread-placement.ts";

const ids = () => {
  let n = 0;
  return () => `new-${++n}`;
};
const msg = (over: Partial<ThreadCandidate>): ThreadCandidate => ({
  internetMessageId: null,
  subject: "Hello",
  inReplyTo: null,
  references: [],
  sender: "alice@example.com",
  participants: ["alice@example.com", "desk@test.local"],
  ...over,
});
const empty = { threadByMessageId: new Map<string, string>(), recentBySubject: [] };

describe("thread planning", () => {
  it("starts a thread per unrelated message", () => {
    const plan = planThreads([msg({ subject: "A" }), msg({ subject: "B" })], empty, ids());
    assert.deepEqual(plan.threadIds, ["new-1", "new-2"]);
    assert.equal(plan.newThreads.length, 2);
    assert.deepEqual(plan.grown, []);
  });

  it("joins existing threads by In-Reply-To, then References newest first", () => {
    const ctx = {
      threadByMessageId: new Map([
        ["<old@x>", "t-old"],
        ["<mid@x>", "t-mid"],
      ]),
      recentBySubject: [],
    };
    const plan = planThreads(
      [msg({ inReplyTo: "<unknown@x>", references: ["<old@x>", "<mid@x>"] }), msg({ inReplyTo: "<old@x>" })],
      ctx,
      ids(),
    );
    assert.deepEqual(plan.threadIds, ["t-mid", "t-old"]);
    assert.deepEqual(
      plan.grown.map((g) => [g.id, g.count]),
      [
        ["t-mid", 1],
        ["t-old", 1],
      ],
    );
  });

  it("chains replies within one batch", () => {
    const plan = planThreads(
      [
        msg({ internetMessageId: "<a@x>", subject: "Plan" }),
        msg({
          internetMessageId: "<b@x>",
          subject: "Re: Plan",
          inReplyTo: "<a@x>",
          sender: "bob@example.com",
          participants: ["bob@example.com"],
        }),
        msg({ internetMessageId: "<c@x>", subject: "Re: Plan", inReplyTo: "<b@x>" }),
      ],
      empty,
      ids(),
    );
    assert.deepEqual(plan.threadIds, ["new-1", "new-1", "new-1"]);
    assert.equal(plan.newThreads[0]!.count, 3);
    assert.deepEqual(plan.newThreads[0]!.participants.sort(), [
      "alice@example.com",
      "bob@example.com",
      "desk@test.local",
    ]);
  });

  it("falls back to the subject only for reply-looking mail from a participant", () => {
    const ctx = {
      threadByMessageId: new Map(),
      recentBySubject: [{ id: "t-1", subjectKey: "order 42", participants: ["alice@example.com"] }],
    };
    const plan = planThreads(
      [
        msg({ subject: "Re: Order 42" }),
        msg({ subject: "Order 42" }), // no reply prefix: a new conversation
        msg({
          subject: "RE: Order 42",
          sender: "mallory@evil.example",
          participants: ["mallory@evil.example"],
        }),
      ],
      ctx,
      ids(),
    );
    assert.deepEqual(plan.threadIds, ["t-1", "new-1", "new-2"]);
  });

  it("keeps a known thread for replies we send", () => {
    const plan = planThreads([msg({ knownThreadId: "t-9", subject: "Re: x" })], empty, ids());
    assert.deepEqual(plan.threadIds, ["t-9"]);
    assert.deepEqual(plan.grown, [
      { id: "t-9", participants: ["alice@example.com", "desk@test.local"], count: 1 },
    ]);
  });
});
