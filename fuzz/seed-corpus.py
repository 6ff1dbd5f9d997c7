#!/usr/bin/env python3
"""Seeds the fuzz corpora from the Annex D vectors (tests/data/annex-d.json)."""
import json, os, pathlib

here = pathlib.Path(__file__).resolve().parent
vectors = json.loads((here.parent / "tests/data/annex-d.json").read_text())
for name, v in vectors.items():
    if name.startswith("_"):
        continue
    data = bytes.fromhex(v["hex"])
    targets = {"cbor": ["decode_message", "cbor_round_trip"], "ndef": ["ndef_handover"]}.get(v["kind"], [])
    for target in targets:
        d = here / "corpus" / target
        d.mkdir(parents=True, exist_ok=True)
        (d / name).write_bytes(data)
se = bytes.fromhex(vectors["session_establishment"]["hex"])
d = here / "corpus" / "holder_session"
d.mkdir(parents=True, exist_ok=True)
(d / "session_establishment").write_bytes(bytes([255]) + se[:255])
