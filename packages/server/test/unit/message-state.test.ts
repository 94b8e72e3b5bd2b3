import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OUTBOUND_START, sourcesOf, transition } from "../../src/domain/message-state.ts";

describe("message state machine", () => {
  it("lets processing decide what arrived, and nothing else", () => {
    for (const to of ["available", "quarantined", "blocked", "failed"] as const)
      assert.deepEqual(transition("inbound", "received", to, "processor"), { ok: true });
    assert.equal(transition("inbound", "received", "available", "admin").ok, false);
    assert.equal(transition("inbound", "available", "quarantined", "processor").ok, false);
  });

  it("lets an admin release or block held mail, never an agent-facing shortcut", () => {
    assert.deepEqual(sourcesOf("inbound", "available", "admin").sort(), ["blocked", "quarantined"]);
    assert.deepEqual(sourcesOf("inbound", "blocked", "admin").sort(), ["available", "quarantined"]);
    assert.equal(transition("inbound", "failed", "available", "admin").ok, false, "failed is final");
  });

  it("keeps held sends held until a reviewer or the expiry decides", () => {
    assert.equal(transition("outbound", "pending_review", "dispatching", "reviewer").ok, true);
    assert.equal(transition("outbound", "pending_review", "dispatching", "delivery").ok, false);
    assert.equal(transition("outbound", "quarantined", "blocked", "expiry").ok, true);
    assert.equal(transition("outbound", "blocked", "dispatching", "reviewer").ok, false, "a denial is final");
    const r = transition("outbound", "bounced", "delivered", "delivery");
    assert.deepEqual(r, { ok: false, reason: "outbound mail cannot go from bounced to delivered" });
  });

  it("lets a send start only where the send use-case may put it", () => {
    assert.deepEqual([...OUTBOUND_START].sort(), ["blocked", "dispatching", "pending_review", "quarantined"]);
  });

  it("settles deliveries, late bounces included, and cancels for a deleted mailbox", () => {
    for (const to of ["delivered", "bounced", "cancelled", "dispatching"] as const)
      assert.equal(transition("outbound", "dispatching", to, "delivery").ok, true, to);
    assert.equal(transition("outbound", "delivered", "bounced", "delivery").ok, true);
    assert.equal(transition("outbound", "dispatching", "cancelled", "deletion").ok, true);
    assert.equal(
      transition("outbound", "dispatching", "dispatching", "deletion").ok,
      true,
      "held by a worker",
    );
    assert.equal(
      transition("outbound", "dispatching", "bounced", "deletion").ok,
      true,
      "one recipient bounced",
    );
    assert.equal(transition("outbound", "bounced", "bounced", "delivery").ok, true, "a second late bounce");
    assert.equal(
      transition("outbound", "cancelled", "bounced", "delivery").ok,
      true,
      "late bounce, rest cancelled",
    );
    assert.equal(transition("outbound", "dispatching", "delivered", "deletion").ok, false);
    assert.equal(transition("outbound", "cancelled", "dispatching", "delivery").ok, false);
    assert.equal(transition("inbound", "dispatching", "delivered", "delivery").ok, false);
  });
});
