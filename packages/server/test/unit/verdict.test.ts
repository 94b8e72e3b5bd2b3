import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  scanVerdictOf,
  sendStatusOf,
  verdictOfDelivery,
  verdictOfPolicy,
  verdictOfScanDecision,
} from "../../src/domain/verdict.ts";

describe("one verdict vocabulary", () => {
  it("maps the outbound scanner's decisions, in the spec's names", () => {
    assert.equal(verdictOfScanDecision("allow"), "accept");
    assert.equal(verdictOfScanDecision("allow_with_warning"), "accept");
    assert.equal(verdictOfScanDecision("require_human_approval"), "require_human_approval");
    assert.equal(verdictOfScanDecision("quarantine"), "quarantine");
    assert.equal(verdictOfScanDecision("block"), "reject");
  });

  it("names a send's status and a scan summary from a verdict", () => {
    assert.equal(sendStatusOf("accept"), "sent");
    assert.equal(sendStatusOf("require_human_approval"), "pending_review");
    assert.equal(sendStatusOf("quarantine"), "quarantined");
    assert.equal(sendStatusOf("reject"), "blocked");
    assert.throws(() => sendStatusOf("defer"));
    assert.equal(scanVerdictOf("accept", false), "clean");
    assert.equal(scanVerdictOf("accept", true), "warning");
    assert.equal(scanVerdictOf("require_human_approval", true), "review_required");
  });

  it("reads MailPolicy decisions and delivery outcomes as verdicts", () => {
    assert.equal(verdictOfPolicy({ outcome: "accepted", disposition: "deliver" }), "accept");
    assert.equal(verdictOfPolicy({ outcome: "rate_limited", disposition: "bounce" }), "reject");
    assert.equal(verdictOfPolicy({ outcome: "rejected_at_policy", disposition: "drop" }), "drop");
    assert.equal(verdictOfDelivery("delivered"), "accept");
    assert.equal(verdictOfDelivery("deferred"), "defer");
    assert.equal(verdictOfDelivery("bounced"), "reject");
  });
});
