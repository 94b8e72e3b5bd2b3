import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkDeletionConfirmation } from "../../src/domain/account-deletion.ts";

const account = { id: "4b1e6f2a-7c3d-4e5f-8a9b-0c1d2e3f4a5b", name: "Acme Corp" };

describe("what confirms an account deletion", () => {
  it("takes the account's id (any case) or its exact name in confirm", () => {
    assert.equal(checkDeletionConfirmation(account, { confirm: account.id }), "confirmed");
    assert.equal(checkDeletionConfirmation(account, { confirm: account.id.toUpperCase() }), "confirmed");
    assert.equal(checkDeletionConfirmation(account, { confirm: "Acme Corp" }), "confirmed");
    assert.equal(checkDeletionConfirmation(account, { confirm: "acme corp" }), "mismatch");
    assert.equal(checkDeletionConfirmation(account, { confirm: "" }), "mismatch");
  });

  it("takes the seed's confirm_email as its CLI echoes GET /v1/accounts (null here), or the id or name", () => {
    assert.equal(checkDeletionConfirmation(account, { confirmEmail: null }), "confirmed");
    assert.equal(checkDeletionConfirmation(account, { confirmEmail: "Acme Corp" }), "confirmed");
    assert.equal(checkDeletionConfirmation(account, { confirmEmail: "ops@acme.example" }), "mismatch");
  });

  it("needs one of them; confirm decides when both are sent", () => {
    assert.equal(checkDeletionConfirmation(account, {}), "missing");
    assert.equal(checkDeletionConfirmation(account, { confirm: "Other", confirmEmail: null }), "mismatch");
  });
});
