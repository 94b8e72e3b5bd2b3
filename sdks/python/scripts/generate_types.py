#!/usr/bin/env python3
"""Writes postbox/api_types.py: a TypedDict for every object of the API, from docs/openapi.json.

Component schemas keep their names; an operation's inline request body is `<OperationId>Body`, its inline 2xx
answer `<OperationId>Response`; a nested object is named after its parent and field. Enums become Literals.
Run it after `npm run openapi`; tests/test_packaging.py fails while the file is stale.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT / "docs" / "openapi.json"
OUT = Path(__file__).resolve().parents[1] / "postbox" / "api_types.py"

# Error bodies are read by the client into exceptions; these names are the exceptions' in postbox.errors.
RENAMED = {"Error": "ErrorBody", "ValidationError": "ValidationErrorBody"}
# The bridge (agentpack wire) is not this SDK's surface.
# Enums worth a name, found where the API defines them; any equal Literal elsewhere uses the name.
NAMED_ENUMS = {
    "EventType": ("Event", "event"),
    "MessageState": ("InboundMessage", "state"),
    "DraftState": ("Draft", "state"),
    "KeyRole": ("ApiKey", "role"),
    "SuppressionReason": ("Suppression", "reason"),
    "PatternType": ("Suppression", "pattern_type"),
    "ScanVerdict": ("ScanSummary", "verdict"),
    "EffectStatus": ("EmailEffect", "effect_status"),
    "SendStatus": ("SendResult", "status"),
    "PiiMode": ("Mailbox", "pii_mode"),
    "HitlMode": ("Mailbox", "hitl_mode"),
    "ListMode": ("Mailbox", "recipient_policy_mode"),
    "AttachmentExposureMode": ("Mailbox", "attachment_exposure_mode"),
    "PolicyMode": ("PolicyReadModel", "policy_mode"),
    "AuthVerdict": ("SenderAuthentication", "verdict"),
    "DeliveryStatus": ("WebhookDelivery", "status"),
}
SKIPPED_PATHS = {"/ingest", "/alloc", "/send", "/list", "/mark_read", "/rule/put", "/webhook/register", "/webhook/rotate"}


def pascal(s: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[^0-9A-Za-z]+", s) if p)


class Generator:
    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.blocks: list[str] = []
        self.aliases: list[str] = []
        self.emitted: set[str] = set()
        self.exported: set[str] = set()
        self.named: dict[tuple, str] = {}
        for alias, (comp, prop) in NAMED_ENUMS.items():
            vals = self.literal_values(spec["components"]["schemas"][comp]["properties"][prop])
            if vals:
                self.named[tuple(vals)] = alias
                self.exported.add(alias)
        # Components that are unions of other components (Message = InboundMessage | OutboundMessage).
        self.unions: dict[str, list[str]] = {}
        for n, s in spec["components"]["schemas"].items():
            subs = s.get("anyOf") or s.get("oneOf") or []
            if subs and all("$ref" in x for x in subs):
                self.unions[RENAMED.get(n, n)] = [self.ref_name(x["$ref"]) for x in subs]

    def ref_name(self, ref: str) -> str:
        name = ref.rsplit("/", 1)[-1]
        return RENAMED.get(name, name)

    def literal_values(self, s: dict) -> list | None:
        """The values when the schema is an enum or a union of enums (and maybe null)."""
        if "enum" in s:
            return list(s["enum"])
        for key in ("anyOf", "oneOf"):
            if key in s:
                vals: list = []
                for sub in s[key]:
                    if sub.get("type") == "null":
                        continue
                    v = self.literal_values(sub)
                    if v is None:
                        return None
                    vals.extend(v)
                return vals
        return None

    def literal(self, vals: list) -> str:
        vals = list(dict.fromkeys(vals))
        if tuple(vals) in self.named:
            return self.named[tuple(vals)]
        return "Literal[" + ", ".join(json.dumps(v) if isinstance(v, str) else repr(v) for v in vals) + "]"

    def type_of(self, s: dict, name: str) -> str:
        """The Python type of a schema; nested objects are emitted as TypedDicts named `name`."""
        if not s:
            return "Any"
        if "$ref" in s:
            return self.ref_name(s["$ref"])
        nullable = False
        for key in ("anyOf", "oneOf"):
            if key in s:
                subs = [x for x in s[key] if x.get("type") != "null"]
                nullable = len(subs) < len(s[key])
                vals = self.literal_values({key: subs})
                if vals is not None:
                    t = self.literal(vals)
                else:
                    parts: list[str] = []
                    for i, sub in enumerate(subs):
                        t = self.type_of(sub, name if len(subs) == 1 else f"{name}{i + 1}")
                        if t not in parts:
                            parts.append(t)
                    t = parts[0] if len(parts) == 1 else "Union[" + ", ".join(parts) + "]"
                if nullable:
                    return f"{t[:-1]}, None]" if t.startswith("Union[") else f"{t} | None"
                return t
        if "allOf" in s:
            if len(s["allOf"]) == 1 and "properties" not in s:
                return self.type_of(s["allOf"][0], name)
            self.emit_object(name, s)
            return name
        if "enum" in s:
            return self.literal(s["enum"])
        t = s.get("type")
        if t == "string":
            return "str"
        if t == "integer":
            return "int"
        if t == "number":
            return "float"
        if t == "boolean":
            return "bool"
        if t == "null":
            return "None"
        if t == "array":
            return f"List[{self.type_of(s.get('items', {}), name + 'Item')}]"
        if t == "object" or "properties" in s:
            if not s.get("properties"):
                extra = s.get("additionalProperties")
                value = self.type_of(extra, name + "Value") if isinstance(extra, dict) else "Any"
                return f"Dict[str, {value}]"
            self.emit_object(name, s)
            return name
        return "Any"

    def emit_object(self, name: str, s: dict) -> None:
        if name in self.emitted:
            return
        self.emitted.add(name)
        bases: list[str] = []
        props: dict = {}
        required: set[str] = set()
        for part in s.get("allOf", []):
            if "$ref" in part:
                bases.append(self.ref_name(part["$ref"]))
            else:
                props.update(part.get("properties", {}))
                required.update(part.get("required", []))
        props.update(s.get("properties", {}))
        required.update(s.get("required", []))
        inherited = set().union(*(self.fields_of(b) for b in bases)) if bases else set()
        fields = []
        for key, sub in props.items():
            if not sub or key in inherited:
                continue  # a narrowing of an inherited field ({"code": {"enum": …}} on errors)
            fields.append((key, self.type_of(sub, name + pascal(key)), key in required, sub.get("description")))
        doc = (s.get("description") or "").strip().split("\n")[0].replace('"""', "'")
        unions = [b for b in bases if b in self.unions]
        if unions:
            # A union cannot be a base: the object is the union of each variant with the extra fields.
            variants = []
            for b in unions:
                for v in self.unions[b]:
                    vname = v.replace(b, name) if b in v else f"{v}{name}"
                    others = [x for x in bases if x != b]
                    self.blocks.append(self.render(vname, [*others, v], fields, doc))
                    variants.append(vname)
            self.aliases.append(f"{name} = Union[{', '.join(variants)}]" + (f'\n"""{doc}"""' if doc else ""))
            return
        for b in bases:
            self.emit_component(b)
        self.blocks.append(self.render(name, bases, fields, doc))

    @staticmethod
    def render(name: str, bases: list[str], fields: list, doc: str) -> str:
        req = [f for f in fields if f[2]]
        opt = [f for f in fields if not f[2]]
        plain = all(k.isidentifier() and not keyword.iskeyword(k) for k, *_ in fields)
        docline = [f'    """{doc}"""'] if doc else []

        def lines(fs: list) -> list[str]:
            res = []
            for k, t, _, d in fs:
                if d:
                    res.append("    # " + d.strip().split("\n")[0])
                res.append(f"    {k}: {t}")
            return res

        def functional(n: str, fs: list, total: bool) -> str:
            items = ", ".join(f"{json.dumps(k)}: {json.dumps(t)}" for k, t, *_ in fs)
            return f"{n} = TypedDict({json.dumps(n)}, {{{items}}}, total={total})"

        head = ", ".join(bases or ["TypedDict"])
        if plain:
            if not opt or not req:
                total = "" if not opt else ", total=False"
                body = docline + lines(fields)
                return f"class {name}({head}{total}):\n" + "\n".join(body or ["    pass"])
            return (
                f"class _{name}Required({head}):\n"
                + "\n".join(lines(req))
                + f"\n\n\nclass {name}(_{name}Required, total=False):\n"
                + "\n".join(docline + lines(opt))
            )
        # Keys that are not identifiers (`from`) need the functional form.
        out: list[str] = []
        parts = list(bases)
        if req:
            out.append(functional(f"_{name}Required", req, True))
            parts.append(f"_{name}Required")
        if opt:
            out.append(functional(f"_{name}Optional", opt, False))
            parts.append(f"_{name}Optional")
        out.append(f"class {name}({', '.join(parts)}):\n" + "\n".join(docline or ["    pass"]))
        return "\n\n\n".join(out)

    def fields_of(self, name: str) -> set[str]:
        """The field names a component has, its bases' included (a TypedDict may not redefine them)."""
        original = next((k for k, v in RENAMED.items() if v == name), name)
        s = self.spec["components"]["schemas"].get(original, {})
        names = set(s.get("properties", {}))
        for part in s.get("allOf", []):
            names |= self.fields_of(self.ref_name(part["$ref"])) if "$ref" in part else set(part.get("properties", {}))
        return names

    def emit_component(self, name: str) -> None:
        original = next((k for k, v in RENAMED.items() if v == name), name)
        s = self.spec["components"]["schemas"].get(original)
        if s is not None and name not in self.emitted:
            self.type_alias_or_object(name, s)

    def run(self) -> str:
        for name, s in self.spec["components"]["schemas"].items():
            self.type_alias_or_object(RENAMED.get(name, name), s)
        for path, ops in self.spec["paths"].items():
            if path in SKIPPED_PATHS:
                continue
            for method, op in ops.items():
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                opname = pascal(op["operationId"])
                body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
                if body and "$ref" not in body:
                    self.type_alias_or_object(opname + "Body", body)
                for code, resp in op.get("responses", {}).items():
                    if not code.startswith("2"):
                        continue
                    schema = resp.get("content", {}).get("application/json", {}).get("schema")
                    if schema and "$ref" not in schema:
                        suffix = "" if code in ("200", "201") else code
                        self.type_alias_or_object(f"{opname}Response{suffix}", schema)
        header = (
            '"""Every object of the Postbox API as a TypedDict. Generated from docs/openapi.json by\n'
            "sdks/python/scripts/generate_types.py: do not edit by hand.\"\"\"\n\n"
            "from __future__ import annotations\n\n"
            "from typing import Any, Dict, List, Literal, TypedDict, Union\n\n"
            "__all__ = [\n" + "".join(f"    {json.dumps(n)},\n" for n in sorted(self.exported)) + "]\n"
        )
        lit = ", ".join
        enums = [
            f"{alias} = Literal[{lit(json.dumps(v) for v in vals)}]" for vals, alias in self.named.items()
        ]
        return header + "\n" + "\n".join(enums) + "\n\n\n" + "\n\n\n".join(self.blocks + self.aliases) + "\n"

    def type_alias_or_object(self, name: str, s: dict) -> None:
        self.exported.add(name)
        is_object = s.get("type") == "object" and s.get("properties") or (
            "allOf" in s and (len(s["allOf"]) > 1 or "properties" in s)
        )
        if is_object:
            self.emit_object(name, s)
        else:
            t = self.type_of(s, name + "Item")
            if name not in self.emitted:
                self.emitted.add(name)
                doc = (s.get("description") or "").strip().split("\n")[0]
                self.aliases.append(f"{name} = {t}" + (f'\n"""{doc}"""' if doc else ""))


def main() -> int:
    spec = json.loads(SPEC.read_text())
    gen = Generator(spec)
    text = gen.run()
    if "--check" in sys.argv:
        if OUT.read_text() != text:
            print(f"{OUT} is stale: run python3 {Path(__file__).relative_to(ROOT)}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
