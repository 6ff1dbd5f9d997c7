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
# The full inspection and readerAuth verification start from the genuine Annex D messages.
for target, name in [("verify_response", "device_response"), ("reader_auth", "device_request")]:
    d = here / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(bytes.fromhex(vectors[name]["hex"]))
d = here / "corpus" / "gmdl_codec"
d.mkdir(parents=True, exist_ok=True)
(d / "two_frames").write_bytes(bytes([5]) + b"GmDL\x00\x00\x00\x03abcGmDL\x00\x00\x00\x01z")
