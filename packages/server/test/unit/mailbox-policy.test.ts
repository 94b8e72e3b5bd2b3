import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { capabilitiesOf } from "../../src/domain/capabilities.ts";
import { firewallRuling } from "../../src/domain/inbound-firewall.ts";
import { looksNonEnglish } from "../../src/domain/language.ts";
import {
  agentMayReadRaw,
  approvalExpiryLabel,
  authoringRefusal,
  fileFamilyOf,
  injectionGuardOn,
  modeTemplate,
  outboundScanOff,
  parseSendWindow,
  permittedVerbs,
  policyModeOf,
  type SendWindow,
  windowOpen,
} from "../../src/domain/mailbox-policy.ts";
import { decideSend, policyHoldReasons, revisedHold } from "../../src/domain/send-decision.ts";

const weekdays = (over: Partial<SendWindow> = {}): SendWindow => ({
  timezone: "Europe/London",
  days: ["mon", "tue", "wed", "thu", "fri"],
  start: "09:00",
  end: "17:00",
  outside_action: "require_approval",
  ...over,
});

describe("the agent policy of a mailbox", () => {
  it("names the mode settings amount to, and custom for anything else", () => {
    for (const mode of ["read_only", "draft_only", "supervised", "trusted"] as const) {
      const t = modeTemplate(mode);
      const settings = {
        agentAuthoringMode: t.agentAuthoringMode,
        recipientPolicy: t.agentSendPolicy === "restricted" ? ("allowlist" as const) : ("blocklist" as const),
        hitlMode: t.hitlMode ?? ("disabled" as const),
      };
      assert.equal(policyModeOf(settings), mode);
    }
    // A new mailbox sends to anyone: no template has that.
    assert.equal(
      policyModeOf({
        agentAuthoringMode: "send_and_draft",
        recipientPolicy: "blocklist",
        hitlMode: "disabled",
      }),
      "custom",
    );
    assert.equal(
      policyModeOf({
        agentAuthoringMode: "send_and_draft",
        recipientPolicy: "allowlist",
        hitlMode: "all_outbound",
      }),
      "custom",
    );
    // read_only defines only authoring: whatever else is set, it is read_only.
    assert.equal(
      policyModeOf({
        agentAuthoringMode: "read_only",
        recipientPolicy: "blocklist",
        hitlMode: "all_outbound",
      }),
      "read_only",
    );
  });

  it("gives agent keys the verbs their authoring mode allows, and admin keys every one", () => {
    assert.deepEqual(permittedVerbs("draft_only"), ["draft_create", "draft_update"]);
    assert.deepEqual(permittedVerbs("read_only"), []);
    assert.equal(permittedVerbs("send_and_draft").length, 5);
    assert.equal(authoringRefusal("admin", "read_only", "send", "x"), null);
    assert.equal(authoringRefusal("agent", "draft_only", "draft_create", "x"), null);
    assert.equal(authoringRefusal("agent", "draft_only", "reply", "x")?.code, "AGENT_SENDING_DISABLED");
    assert.equal(authoringRefusal("agent", "draft_only", "draft_send", "x")?.code, "AGENT_SENDING_DISABLED");
    assert.equal(
      authoringRefusal("agent", "read_only", "draft_update", "x")?.code,
      "AGENT_DRAFTING_DISABLED",
    );
  });

  it("labels approval expiry as the seed does", () => {
    assert.equal(approvalExpiryLabel(24), "24h");
    assert.equal(approvalExpiryLabel(168), "7d");
    assert.equal(approvalExpiryLabel(null), "never");
    assert.equal(approvalExpiryLabel(48), "48h");
  });
});

describe("send windows", () => {
  it("opens on the listed days between start and end, in the window's time zone", () => {
    const w = weekdays();
    // Monday 23 Nov 2026: London is on GMT (UTC+0).
    assert.equal(windowOpen(w, new Date("2026-11-23T09:00:00Z")), true);
    assert.equal(windowOpen(w, new Date("2026-11-23T08:59:00Z")), false);
    assert.equal(windowOpen(w, new Date("2026-11-23T17:00:00Z")), false, "the end is exclusive");
    assert.equal(windowOpen(w, new Date("2026-11-22T12:00:00Z")), false, "Sunday");
    // In summer London is UTC+1: 08:30 UTC is 09:30 there.
    assert.equal(windowOpen(w, new Date("2026-07-06T08:30:00Z")), true);
    // The same instant is Tuesday morning in Tokyo.
    assert.equal(
      windowOpen(weekdays({ timezone: "Asia/Tokyo", days: ["tue"] }), new Date("2026-11-23T23:30:00Z")),
      false,
    );
    assert.equal(
      windowOpen(weekdays({ timezone: "Asia/Tokyo", days: ["tue"] }), new Date("2026-11-24T01:00:00Z")),
      true,
    );
  });

  it("spans midnight when the end comes before the start, belonging to the day it starts on", () => {
    const night = weekdays({ days: ["fri"], start: "22:00", end: "06:00", timezone: "UTC" });
    assert.equal(windowOpen(night, new Date("2026-11-27T23:00:00Z")), true, "Friday night");
    assert.equal(windowOpen(night, new Date("2026-11-28T05:59:00Z")), true, "early Saturday");
    assert.equal(windowOpen(night, new Date("2026-11-28T06:00:00Z")), false);
    assert.equal(
      windowOpen(night, new Date("2026-11-27T05:00:00Z")),
      false,
      "early Friday belongs to Thursday",
    );
  });

  it("checks a window as a client sends it, naming every problem", () => {
    const ok = parseSendWindow({ ...weekdays(), days: ["Monday", "TUE", "mon"] });
    assert.ok(ok.ok);
    assert.deepEqual(ok.window.days, ["mon", "tue"]);
    const bad = parseSendWindow({
      timezone: "Nowhere/Land",
      days: [],
      start: "9:00",
      end: "24:00",
      outside_action: "x",
      y: 1,
    });
    assert.ok(!bad.ok);
    assert.equal(bad.problems.length, 6);
    assert.ok(!parseSendWindow(null).ok);
    assert.ok(!parseSendWindow([]).ok);
  });

  it("holds a send outside the window for review beside the scanner's own reasons", () => {
    const clean = { verdict: "clean" as const, categories: [], findings: [], worst: "allow" as const };
    assert.deepEqual(decideSend(clean, "disabled"), { status: "sent", hold: null });
    const held = decideSend(clean, "disabled", ["outside the window"]);
    assert.equal(held.status, "pending_review");
    assert.deepEqual(held.hold, {
      trigger_source: "mailbox_policy",
      summary_reasons: ["outside the window"],
    });
  });

  it("keeps the window's reason through a revision and drops the scanner's", () => {
    const ssn = { category: "pii", decision: "require_human_approval", reason: "ssn: review" };
    const hold = { trigger_source: "both" as const, summary_reasons: ["ssn: review", "outside the window"] };
    assert.deepEqual(policyHoldReasons(hold, { findings: [ssn] }), ["outside the window"]);
    const allOutbound = decideSend(
      { verdict: "clean", categories: [], findings: [], worst: "allow" },
      "all_outbound",
    ).hold;
    assert.deepEqual(policyHoldReasons(allOutbound, null), [], "hitl_mode is read again, not kept");
    assert.deepEqual(policyHoldReasons(null, null), []);
    const reviewer = revisedHold(null);
    assert.equal(reviewer.trigger_source, "reviewer");
    assert.deepEqual(policyHoldReasons(reviewer, null), [], "a second revision starts from nothing");
    assert.deepEqual(revisedHold(hold), hold);
  });
});

describe("scanner switches, attachments, the firewall and capabilities", () => {
  it("turns the injection guard off by scanner or proxy criterion, and outbound checks by scanner", () => {
    assert.equal(injectionGuardOn({}), true);
    assert.equal(injectionGuardOn({ disabled_scanners: ["prompt-injection"] }), false);
    assert.equal(injectionGuardOn({ disabled_proxy_criteria: ["prompt_injection"] }), false);
    assert.equal(injectionGuardOn({ disabled_proxy_criteria: ["jailbreak"] }), true);
    assert.deepEqual(outboundScanOff({ disabled_scanners: ["pii"] }), { pii: true, secrets: false });
  });

  it("lets agents read a raw message only when every attachment is of an allowed family", () => {
    assert.equal(fileFamilyOf("application/pdf"), "pdf");
    assert.equal(fileFamilyOf("text/csv; charset=utf-8"), "csv");
    assert.equal(fileFamilyOf("text/plain"), "text");
    assert.equal(fileFamilyOf("IMAGE/PNG"), "image");
    assert.equal(fileFamilyOf("application/zip"), null);
    const pdf = [{ content_type: "application/pdf" }];
    assert.equal(agentMayReadRaw("metadata_only", [], []), true, "no attachments");
    assert.equal(agentMayReadRaw("metadata_only", ["*"], pdf), false);
    assert.equal(agentMayReadRaw("derived_content", ["pdf"], pdf), false);
    assert.equal(agentMayReadRaw("raw_download_selected_types", ["pdf"], pdf), true);
    assert.equal(
      agentMayReadRaw("raw_download_selected_types", ["pdf"], [...pdf, { content_type: "application/zip" }]),
      false,
    );
    assert.equal(
      agentMayReadRaw("raw_download_selected_types", ["*"], [{ content_type: "application/zip" }]),
      true,
    );
  });

  it("blocks every sender of a mailbox in allowlist mode with an empty list", () => {
    const m = { sender: "ann@example.com", envelopeFrom: "ann@example.com" };
    assert.equal(firewallRuling(m, { blocked: new Set(), senderAllowlist: null }), null);
    assert.equal(
      firewallRuling(m, { blocked: new Set(), senderAllowlist: new Set<string>() })?.block.reason_code,
      "SENDER_NOT_ON_ALLOWLIST",
    );
    assert.equal(firewallRuling(m, { blocked: new Set(), senderAllowlist: new Set(["@example.com"]) }), null);
  });

  it("lists the configured capabilities with the ones every server has", () => {
    const base = {
      roles: new Set(["api"]),
      dkimSigning: false,
      smtpRelay: false,
      providerBounces: false,
      injectionClassifier: false,
    };
    const caps = capabilitiesOf(base);
    assert.ok(caps.includes("messages.has_attachment_filter"));
    assert.ok(!caps.includes("smtp") && !caps.includes("dkim"));
    const all = capabilitiesOf({
      ...base,
      roles: new Set(["api", "smtp"]),
      dkimSigning: true,
      smtpRelay: true,
    });
    for (const c of ["smtp", "dkim", "smtp_relay"]) assert.ok(all.includes(c), c);
    assert.equal(new Set(all).size, all.length, "no duplicates");
  });
});

describe("the English-only check", () => {
  it("tells English from other languages, and leaves short or mixed text alone", () => {
    assert.equal(
      looksNonEnglish("Hi, can we move our meeting to Friday afternoon? Thanks and best regards, Sam"),
      false,
    );
    assert.equal(
      looksNonEnglish(
        "Bonjour, est-ce que nous pouvons déplacer la réunion de jeudi à vendredi ? Je ne suis pas disponible le matin.",
      ),
      true,
    );
    assert.equal(
      looksNonEnglish(
        "Hallo, können wir das Treffen auf Freitag verschieben? Ich bin am Donnerstag nicht im Büro und habe keine Zeit.",
      ),
      true,
    );
    assert.equal(
      looksNonEnglish(
        "请问我们可以把周四的会议改到周五下午吗？我周四上午不在办公室，谢谢。请尽快回复我，以便安排时间。",
      ),
      true,
    );
    assert.equal(looksNonEnglish("Gracias!"), false, "too short to tell");
    assert.equal(
      looksNonEnglish(
        "Please find the invoice attached. The total is due by the end of the month; let me know if you have any questions about it.",
      ),
      false,
    );
  });
});
