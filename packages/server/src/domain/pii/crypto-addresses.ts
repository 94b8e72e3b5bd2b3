import { createHash } from "node:crypto";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bech32, bech32m, createBase58check } from "@scure/base";
import type { PiiSpan } from "./detect.ts";

const base58check = createBase58check(
  (data: Uint8Array) => new Uint8Array(createHash("sha256").update(data).digest()),
);

/** Legacy Bitcoin addresses: base58check of a version byte (0x00 pay-to-key-hash, 0x05 pay-to-script-hash) and a 20-byte hash. */
export function base58AddressValid(address: string): boolean {
  let payload: Uint8Array;
  try {
    payload = base58check.decode(address); // throws on a wrong double-SHA-256 checksum
  } catch {
    return false;
  }
  return payload.length === 21 && (payload[0] === 0x00 || payload[0] === 0x05);
}

/**
 * Segwit addresses (BIP-173, BIP-350): witness version 0 is checksummed with bech32 and carries a 20- or 32-byte
 * program; versions 1–16 (taproot and later) use bech32m and 2–40 bytes.
 */
export function segwitAddressValid(address: string): boolean {
  if (address.length > 90) return false;
  const lower = address.toLowerCase();
  const decoded = bech32.decodeUnsafe(lower as `${string}1${string}`, 90);
  const decodedM = decoded ? undefined : bech32m.decodeUnsafe(lower as `${string}1${string}`, 90);
  const d = decoded ?? decodedM;
  if (d?.prefix !== "bc" || d.words.length < 1) return false;
  const version = d.words[0]!;
  const program = bech32.fromWordsUnsafe(d.words.slice(1));
  if (!program || version > 16) return false;
  if (version === 0) return decoded !== undefined && (program.length === 20 || program.length === 32);
  return decodedM !== undefined && program.length >= 2 && program.length <= 40;
}

/** Ethereum: 0x and 40 hex digits; a mixed-case address must carry a valid EIP-55 checksum in its letter case. */
export function ethereumAddressValid(address: string): boolean {
  const hex = address.slice(2);
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return false;
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return true;
  const hash = keccak_256(new TextEncoder().encode(hex.toLowerCase()));
  for (let i = 0; i < 40; i++) {
    const c = hex[i]!;
    if (c >= "0" && c <= "9") continue;
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    if (nibble >= 8 !== (c >= "A" && c <= "Z")) return false;
  }
  return true;
}

// Tokens bounded by non-alphanumerics; lengths bounded, so every scan is linear.
const BASE58 = /(?<![A-Za-z0-9])[13][1-9A-HJ-NP-Za-km-z]{25,33}(?![A-Za-z0-9])/g;
const SEGWIT = /(?<![A-Za-z0-9])(?:bc1[02-9ac-hj-np-z]{8,87}|BC1[02-9AC-HJ-NP-Z]{8,87})(?![A-Za-z0-9])/g;
const ETHEREUM = /(?<![A-Za-z0-9])0x[0-9a-fA-F]{40}(?![A-Za-z0-9])/g;

/** CRYPTO: Bitcoin addresses whose checksum holds, and Ethereum addresses (checksummed when mixed case). */
export function cryptoAddresses(text: string): PiiSpan[] {
  const out: PiiSpan[] = [];
  const push = (start: number, length: number, score: number) =>
    out.push({ type: "CRYPTO", start, end: start + length, score });
  for (const m of text.matchAll(BASE58)) if (base58AddressValid(m[0])) push(m.index, m[0].length, 1);
  for (const m of text.matchAll(SEGWIT)) if (segwitAddressValid(m[0])) push(m.index, m[0].length, 1);
  for (const m of text.matchAll(ETHEREUM)) {
    const hex = m[0].slice(2);
    // Single-case hex has no checksum to verify: surely an address by its form, not by a check.
    if (ethereumAddressValid(m[0]))
      push(m.index, m[0].length, /[a-f]/.test(hex) && /[A-F]/.test(hex) ? 1 : 0.8);
  }
  return out;
}
