#!/usr/bin/env python3
"""Check Shanhuo's public-benefit ledger from its public API alone, without trusting the
server's code: Python's standard library and `cryptography` (for Ed25519) only.

    python tools/verify_benefit.py https://shanhuo.example            # every project
    python tools/verify_benefit.py https://shanhuo.example --project 3
    python tools/verify_benefit.py https://shanhuo.example --public-key <base64 key you kept>

It fetches the signed head (GET /api/v1/benefit/ledger/head) and checks its Ed25519 signature;
then, for each project, reads the whole chain (GET /api/v1/benefit/projects/{id}/ledger,
oldest first) and recomputes it: seq 1, 2, 3, ...; each prev_hash is the entry before's
entry_hash (64 zeros for the first); each entry_hash is

    sha256(prev_hash + "\\n" + json.dumps(entry without prev_hash and entry_hash,
                                         sort_keys=True, separators=(",", ":"),
                                         ensure_ascii=False))

and the entry at the signed head's seq has the signed hash. Last, the project's published
totals must be what the entries add up to. Exit status 0 when everything holds; 1 with the
first bad entry named otherwise; 2 when the server cannot be read.

Keep the public key from a first run (or from the platform's announcement) and pass it with
--public-key next time: a server that changed its key, and rewrote history with it, is then
caught too."""

import argparse
import base64
import hashlib
import json
import sys
import urllib.parse
import urllib.request
from decimal import Decimal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = "0" * 64


class Bad(Exception):
    pass


def get(base: str, path: str, **query) -> dict:
    url = base.rstrip("/") + "/api/v1" + path
    query = {k: v for k, v in query.items() if v is not None}
    if query:
        url += "?" + urllib.parse.urlencode(query)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (http(s) only)
        return json.loads(response.read().decode("utf-8"))


def dumps(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def check_head(head: dict, trusted_key: str | None) -> dict:
    if trusted_key and head["public_key"] != trusted_key:
        raise Bad(f"the head is signed with key {head['public_key']}, not the one you trust")
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(head["public_key"]))
    message = dumps({"heads": head["heads"], "signed_at": head["signed_at"]}).encode("utf-8")
    try:
        key.verify(base64.b64decode(head["signature"]), message)
    except InvalidSignature:
        raise Bad("the head's signature does not verify") from None
    return head["heads"]


def fen(amount: str) -> int:
    return int(Decimal(amount) * 100)


def check_project(base: str, project_id: str, signed: dict | None) -> int:
    prev, seq, cursor = GENESIS, 0, None
    pledged = confirmed = disbursed = 0
    while True:
        page = get(base, f"/benefit/projects/{project_id}/ledger", limit=100, cursor=cursor)
        for entry in page["items"]:
            name = f"project {project_id} entry #{entry['seq']}"
            seq += 1
            if entry["seq"] != seq:
                raise Bad(f"{name}: expected seq {seq} (an entry is missing or out of order)")
            if entry["prev_hash"] != prev:
                raise Bad(f"{name}: prev_hash is not the hash of the entry before it")
            body = {k: v for k, v in entry.items() if k not in ("prev_hash", "entry_hash")}
            digest = hashlib.sha256((prev + "\n" + dumps(body)).encode("utf-8")).hexdigest()
            if digest != entry["entry_hash"]:
                raise Bad(f"{name}: entry_hash does not match the entry (it was changed)")
            if signed and seq == signed["seq"] and digest != signed["entry_hash"]:
                raise Bad(f"{name}: not the entry the signed head names")
            prev = digest
            amount = fen(entry["amount"])
            if entry["kind"] in ("pledge", "void"):
                pledged += amount
            elif entry["kind"] == "confirm":
                confirmed += amount
                pledged -= max(amount, 0)
            elif entry["kind"] == "disbursement":
                disbursed -= amount
        cursor = page["next_cursor"]
        if not cursor:
            break
    if signed and seq < signed["seq"]:
        raise Bad(f"project {project_id}: the chain ends at #{seq}, the signed head is at "
                  f"#{signed['seq']} (entries were removed)")
    project = get(base, f"/benefit/projects/{project_id}")
    published = {k: fen(project[k]) for k in ("pledged", "confirmed", "disbursed", "balance")}
    computed = {"pledged": pledged, "confirmed": confirmed, "disbursed": disbursed,
                "balance": confirmed - disbursed}
    if published != computed:
        raise Bad(f"project {project_id}: published totals {published} are not what the "
                  f"entries add up to {computed}")
    return seq


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="the site, e.g. https://shanhuo.example")
    parser.add_argument("--project", help="one project's id (default: every project)")
    parser.add_argument("--public-key", help="the base64 Ed25519 key you trust")
    args = parser.parse_args(argv)
    try:
        heads = check_head(get(args.base_url, "/benefit/ledger/head"), args.public_key)
        projects = [args.project] if args.project else sorted(heads, key=int)
        for project_id in projects:
            count = check_project(args.base_url, project_id, heads.get(str(project_id)))
            print(f"project {project_id}: {count} entries verify")
    except Bad as problem:
        print(f"NOT VERIFIED: {problem}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError) as problem:
        print(f"could not read the ledger: {problem}", file=sys.stderr)
        return 2
    print("the signed head and every chain verify")
    return 0


if __name__ == "__main__":
    sys.exit(main())
