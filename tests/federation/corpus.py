"""Hostile federation documents, class by class: valid ones built from the grammar of
docs/federation.md, then mutated so that no receiver may accept them.

Shared by ``test_fuzz.py`` (hypothesis draws the mutations) and ``hostile_corpus.py``
(the runner outside the suite, which sends every class at push and at pull). Every
item here must be refused, or be byte-for-byte what the receiver already holds
(unchanged); none may be accepted.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.federation import identity
from hub.federation.documents import Signed, canonical
from hub.federation.grammar import b64encode

IDENTITY_POINT = "ed25519:" + b64encode(bytes([1]) + bytes(31))
BAD_KEYS = [
    "ed25519:short",
    "ed25519:" + "A" * 44,
    "rsa:" + "A" * 43,
    "ed25519:" + "_" * 43,
    "ed25519:" + b64encode(b"\xff" * 32),
    IDENTITY_POINT,
    "ed25519:" + b64encode(bytes(32)),
    7,
    None,
]
HIDDEN = ["\x00", "\n", "\x1b[2J", "\u202e", "\u2066", "\u2028", "\x85", "\ud800"]


def compact(document: Any) -> str:
    """Sorted and compact, as RFC 8785 writes what it can (floats and huge integers too)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Signer:
    """Someone who signs: an id and a key (the attacker, or a key it invents)."""

    url: str
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    def sign(self, document: Any) -> dict[str, str]:
        return Signed.make(document, self.key).as_json()

    def sign_text(self, payload: str) -> dict[str, str]:
        signature = self.key.sign(payload.encode("utf-8", "surrogatepass"))
        return {"payload": payload, "signature": b64encode(signature)}

    @property
    def public_key(self) -> str:
        return identity.encode_public_key(self.key.public_key())


@dataclass
class Scene:
    """What an attack on one receiver knows: the receiver's id, the attacker (a member
    of it, or a peer it follows, trusted as an instance), a descriptor the attacker may
    imitate, and honest documents the receiver holds (to replay, re-sign, tamper with)."""

    target: str
    attacker: Signer
    descriptor: dict[str, Any]
    honest: list[dict[str, str]]
    older: list[dict[str, str]] = field(default_factory=list)

    def held(self) -> dict[str, Any]:
        """The attacker's own summary the receiver is given first, for the revision tricks."""
        return self.summary(random.Random(0), period="1989-01", revision=5)

    def summary(self, rng: random.Random, **changes: Any) -> dict[str, Any]:
        """A summary the attacker could validly publish (for a period it never uses)."""
        document = {
            "origin": self.attacker.url,
            "plugin": "testmetrics",
            "period": f"{rng.randint(1990, 2020)}-{rng.randint(1, 12):02d}",
            "metrics": {
                "repairs": rng.randint(0, 500),
                "fixed": rng.randint(0, 500),
                "waste_prevented_g": rng.randint(0, 10**9),
                "visitors": rng.choice([None, 0, 5 * rng.randint(1, 100)]),
            },
            "revision": rng.randint(1, 9),
            "generated_at": "2025-06-01T09:00:00Z",
        }
        return {**document, **changes}

    def honest_summaries(self) -> list[dict[str, Any]]:
        return [
            json.loads(i["payload"]) for i in self.honest if '"generated_at"' in i["payload"][:16]
        ]

    def statement(self, descriptor: dict[str, Any], signer: Signer | None = None) -> dict[str, Any]:
        signer = signer or self.attacker
        return {
            "aggregator": signer.url,
            "descriptor": descriptor,
            "issued_at": "2030-01-01T00:00:00Z",
        }

    def stranger(self, rng: random.Random, **changes: Any) -> tuple[Signer, dict[str, Any]]:
        """A new id with its own key and a valid descriptor."""
        who = Signer(f"https://town{rng.randint(0, 10**6)}.example")
        described = {**self.descriptor, "id": who.url, "public_key": who.public_key, **changes}
        return who, described


Make = Callable[[Scene, random.Random], list[Any]]


def _flip_payload(item: dict[str, str], rng: random.Random) -> dict[str, str]:
    payload = item["payload"]
    at = rng.randrange(len(payload))
    flipped = chr(ord(payload[at]) ^ (1 << rng.randrange(7)))
    return {**item, "payload": payload[:at] + flipped + payload[at + 1 :]}


def _flip_signature(item: dict[str, str], rng: random.Random) -> dict[str, str]:
    raw = bytearray(base64.urlsafe_b64decode(item["signature"] + "=="))
    raw[rng.randrange(64)] ^= 1 << rng.randrange(8)
    return {**item, "signature": b64encode(bytes(raw))}


def bit_flips(scene: Scene, rng: random.Random) -> list[Any]:
    own = [scene.attacker.sign(scene.summary(rng)) for _ in range(10)]
    sources = own + scene.honest
    return [
        (_flip_payload if n % 2 else _flip_signature)(rng.choice(sources), rng) for n in range(40)
    ]


def origin_not_signer(scene: Scene, rng: random.Random) -> list[Any]:
    origins = [scene.target, *{d["origin"] for d in scene.honest_summaries()}]
    return [scene.attacker.sign(scene.summary(rng, origin=rng.choice(origins))) for _ in range(20)]


def re_signing(scene: Scene, rng: random.Random) -> list[Any]:
    items = []
    for document in scene.honest_summaries():
        changed = {**document, "metrics": {**document["metrics"], "repairs": rng.randint(0, 10**6)}}
        items += [scene.attacker.sign(document), scene.attacker.sign(changed)]
        items.append(scene.attacker.sign({**changed, "revision": document["revision"] + 1}))
    for item in scene.honest:
        if item["payload"].startswith('{"aggregator"'):
            items.append(scene.attacker.sign(json.loads(item["payload"])))
    return items


def unknown_keys(scene: Scene, rng: random.Random) -> list[Any]:
    items = []
    for _ in range(10):
        who, described = scene.stranger(rng)
        items.append(who.sign(scene.summary(rng, origin=who.url)))
        items.append(who.sign(scene.statement(described, who)))  # vouches for itself, unknown
    return items


def relays(scene: Scene, rng: random.Random) -> list[Any]:
    """The attacker, trusted as an instance, vouches for ids and re-homes them."""
    items = []
    for _ in range(8):
        who, described = scene.stranger(rng)
        items += [
            scene.attacker.sign(scene.statement(described)),
            who.sign(scene.summary(rng, origin=who.url)),
        ]
    for item in scene.honest:
        document = json.loads(item["payload"])
        if "descriptor" in document and document["descriptor"]["id"] != scene.attacker.url:
            moved = {
                **document["descriptor"],
                "locality": {"town": "X", "region": "Elsewhere", "country": "GB"},
            }
            items.append(scene.attacker.sign(scene.statement(moved)))
            items.append(item)  # someone else's statement, relayed (unchanged or refused)
    own_statement = scene.statement(scene.descriptor)  # about itself, but relayed for another
    items.append(scene.attacker.sign({**own_statement, "aggregator": scene.target}))
    return items


def duplicate_keys(scene: Scene, rng: random.Random) -> list[Any]:
    text = canonical(scene.summary(rng)).decode()
    twice = [
        text.replace('"plugin":', '"plugin":"testmetrics","plugin":', 1),
        text.replace('"revision":', '"revision":1,"revision":', 1),
        text.replace('"metrics":{', '"metrics":{"repairs":1,', 1),
        text[:-1] + ',"origin":"' + scene.target + '"}',
    ]
    return [scene.attacker.sign_text(t) for t in twice]


def non_canonical(scene: Scene, rng: random.Random) -> list[Any]:
    items = []
    for _ in range(6):
        document = scene.summary(rng)
        text = canonical(document).decode()
        for spelling in (
            json.dumps(document),
            json.dumps(document, sort_keys=True),
            text + "\n",
            " " + text,
            text.replace('"origin"', '"\\u006frigin"'),
            text.replace(":", ": ", 1),
            json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).replace(
                "testmetrics", "test\\u006detrics"
            ),
            "\ufeff" + text,
        ):
            items.append(scene.attacker.sign_text(spelling))
    return items


def floats(scene: Scene, rng: random.Random) -> list[Any]:
    spellings = ["1.5", "1.0", "1e3", "1E3", "-0.0", "0.1e1", "5e-1", "1" + "0" * 400 + ".0"]
    text = canonical(
        scene.summary(rng, metrics={**scene.summary(rng)["metrics"], "repairs": 77777})
    ).decode()
    return [scene.attacker.sign_text(text.replace("77777", s)) for s in spellings] + [
        scene.attacker.sign_text(
            canonical(scene.summary(rng)).decode().replace('"revision":', '"revision":1.0,"x":', 1)
        )
    ]


def nan(scene: Scene, rng: random.Random) -> list[Any]:
    text = canonical(
        scene.summary(rng, metrics={**scene.summary(rng)["metrics"], "fixed": 77777})
    ).decode()
    return [
        scene.attacker.sign_text(text.replace("77777", s))
        for s in ("NaN", "Infinity", "-Infinity", "nan", "inf")
    ]


def integer_range(scene: Scene, rng: random.Random) -> list[Any]:
    big = [2**53, -(2**53), 10**20, -1, -(2**53 - 1)]
    items = [
        scene.attacker.sign_text(
            compact(scene.summary(rng, metrics={**scene.summary(rng)["metrics"], "repairs": v}))
        )
        for v in big
    ]
    items += [
        scene.attacker.sign_text(compact(scene.summary(rng, revision=v)))
        for v in (0, -1, 2**53, 2**64)
    ]
    text = canonical(
        scene.summary(rng, metrics={**scene.summary(rng)["metrics"], "repairs": 77777})
    ).decode()
    items += [scene.attacker.sign_text(text.replace("77777", d * 4301)) for d in ("9", "-9")]
    threshold = canonical(
        scene.statement({**scene.descriptor, "disclosure": {"threshold": 77777, "rounding": 5}})
    ).decode()
    items += [
        scene.attacker.sign_text(threshold.replace("77777", v))
        for v in ("9" * 4301, str(2**53), "2", "1001")
    ]
    return items


def revision_tricks(scene: Scene, rng: random.Random) -> list[Any]:
    """Against what the receiver holds: the same revision with other figures, older ones,
    revisions of the wrong type."""
    items = []
    for document in scene.honest_summaries():
        other = {**document["metrics"], "repairs": document["metrics"]["repairs"] + 1}
        items.append(scene.attacker.sign({**document, "metrics": other}))  # not its key either
    held = scene.held()
    items.append(scene.attacker.sign({**held, "metrics": {**held["metrics"], "repairs": 1}}))
    items += [scene.attacker.sign({**held, "revision": r}) for r in (4, 1)]
    items += [
        scene.attacker.sign_text(compact({**held, "revision": r}))
        for r in ("6", True, 6.0, None, [6])
    ]
    return items


def replays(scene: Scene, rng: random.Random) -> list[Any]:
    """Documents the receiver holds, or held, sent again: unchanged, or refused as older."""
    return list(scene.honest) + list(scene.honest) + scene.older


def protocol(scene: Scene, rng: random.Random) -> list[Any]:
    items = []
    for value in (
        "hub-federation/2",
        "hub-federation/1\n",
        "HUB-FEDERATION/1",
        "hub-federation/1 ",
        1,
        None,
    ):
        described = {**scene.descriptor, "protocol": value}
        items.append(scene.attacker.sign(scene.statement(described)))
    missing = {k: v for k, v in scene.descriptor.items() if k != "protocol"}
    items.append(scene.attacker.sign(scene.statement(missing)))
    return items


def unicode(scene: Scene, rng: random.Random) -> list[Any]:
    items = []
    for field_name, value in (
        ("period", "\u0662\u0660\u0662\u0665-05"),
        ("period", "2025-05\n"),
        ("period", "\uff12\uff10\uff12\uff15-05"),
        ("plugin", "testmetrics\n"),
        ("plugin", "t\u0435stmetrics"),  # a Cyrillic ie
        ("generated_at", "2025-06-01T09:00:0\u0665Z"),
        ("generated_at", "2025-06-01T09:00:00Z\n"),
        ("origin", scene.attacker.url[:-1] + "\u0435"),  # a Cyrillic ie for its last letter
        ("origin", scene.attacker.url + "\n"),
        ("origin", scene.attacker.url.upper()),
        ("origin", scene.attacker.url + "/"),
    ):
        items.append(scene.attacker.sign(scene.summary(rng, **{field_name: value})))
    for name in ("repairs\n", "repairs\u0660", "\uff52epairs", "repairs\u200b"):
        document = scene.summary(rng)
        document["metrics"][name] = document["metrics"].pop("repairs")
        items.append(scene.attacker.sign(document))
    for hidden in HIDDEN:
        named = {**scene.descriptor, "name": f"Group{hidden}"}
        items.append(scene.attacker.sign_text(compact(scene.statement(named))))
    items.append({"payload": '{"origin":"\ud800"}', "signature": "A" * 86})
    return items


def oversize(scene: Scene, rng: random.Random) -> list[Any]:
    document = scene.summary(rng)
    many = {f"m{n}": 1 for n in range(2001)}
    return [
        scene.attacker.sign_text(compact({**document, "padding": "é" * 40_000})),
        scene.attacker.sign_text(compact({**document, "padding": "x" * 70_000})),
        scene.attacker.sign({**document, "metrics": many}),
        scene.attacker.sign({**document, "metrics": {"r" * 64: 1}}),
        scene.attacker.sign(scene.statement({**scene.descriptor, "name": "é" * 101})),
        scene.attacker.sign(scene.statement({**scene.descriptor, "locality": {"town": "t" * 121}})),
        scene.attacker.sign(
            scene.statement({**scene.descriptor, "plugins": [scene.descriptor["plugins"][0]] * 101})
        ),
    ]


def nesting(scene: Scene, rng: random.Random) -> list[Any]:
    document = scene.summary(rng)
    text = (
        canonical(document)
        .decode()
        .replace('"repairs":', '"repairs":' + "[" * 900 + "1" + "]" * 900 + ',"x":', 1)
    )
    return [
        scene.attacker.sign_text("[" * 30_000 + "]" * 30_000),
        scene.attacker.sign_text('{"a":' * 5000 + "1" + "}" * 5000),
        scene.attacker.sign_text(text),
        scene.attacker.sign({**document, "metrics": {"repairs": {"repairs": 1}}}),
        scene.attacker.sign(
            scene.statement({**scene.descriptor, "locality": {"town": {"town": "x"}}})
        ),
        scene.attacker.sign_text(
            compact(scene.statement({**scene.descriptor, "plugins": [[[[[[]]]]]]}))
        ),
    ]


def personal_fields(scene: Scene, rng: random.Random) -> list[Any]:
    document = scene.summary(rng)
    return [
        scene.attacker.sign({**document, "client": "Jane Doe"}),
        scene.attacker.sign({**document, "people": [{"name": "Jane Doe", "postcode": "CF44 7AA"}]}),
        scene.attacker.sign(
            {**document, "metrics": {**document["metrics"], "jane_doe_parcels": 3}}
        ),
        scene.attacker.sign({**document, "metrics": {**document["metrics"], "visitors": 3}}),
        scene.attacker.sign(scene.statement({**scene.descriptor, "contact": "jane@example.org"})),
        scene.attacker.sign(
            scene.statement(
                {
                    **scene.descriptor,
                    "locality": {**scene.descriptor["locality"], "street": "1 High St"},
                }
            )
        ),
    ]


def envelope_shape(scene: Scene, rng: random.Random) -> list[Any]:
    good = scene.attacker.sign(scene.summary(rng))
    return [
        None,
        1,
        "x",
        [],
        [good],
        {},
        {"payload": good["payload"]},
        {"signature": good["signature"]},
        {**good, "extra": 1},
        {"payload": 1, "signature": good["signature"]},
        {"payload": good["payload"], "signature": 1},
        {"payload": good["payload"], "signature": ""},
        {"payload": good["payload"], "signature": good["signature"][:85]},
        {"payload": good["payload"], "signature": good["signature"] + "A"},
        {"payload": good["payload"], "signature": good["signature"][:-1] + "B"},
        {"payload": json.loads(good["payload"]), "signature": good["signature"]},
        {"payload": "", "signature": good["signature"]},
        {"payload": "[]", "signature": good["signature"]},
    ]


def pin_poisoning(scene: Scene, rng: random.Random) -> list[Any]:
    items = []
    for key in BAD_KEYS:
        _who, described = scene.stranger(rng, public_key=key)
        items.append(scene.attacker.sign_text(compact(scene.statement(described))))
        items.append(
            scene.attacker.sign_text(
                compact(scene.statement({**scene.descriptor, "public_key": key}))
            )
        )
    return items


def self_join(scene: Scene, rng: random.Random) -> list[Any]:
    """In the receiver's own name: its summaries, statements about it or by it."""
    own = {**scene.descriptor, "id": scene.target}
    return [
        scene.attacker.sign(scene.summary(rng, origin=scene.target)),
        scene.attacker.sign(scene.statement(own)),
        scene.attacker.sign({**scene.statement(own), "aggregator": scene.target}),
        scene.attacker.sign(scene.statement({**scene.descriptor}, Signer(scene.target))),
    ]


CLASSES: dict[str, Make] = {
    "bit flips": bit_flips,
    "origin != signer": origin_not_signer,
    "re-signing": re_signing,
    "unknown keys": unknown_keys,
    "relays": relays,
    "duplicate keys": duplicate_keys,
    "non-canonical bytes": non_canonical,
    "floats": floats,
    "NaN": nan,
    "integer range": integer_range,
    "revision tricks": revision_tricks,
    "replays": replays,
    "protocol": protocol,
    "unicode": unicode,
    "oversize": oversize,
    "nesting": nesting,
    "personal fields": personal_fields,
    "envelope shape": envelope_shape,
    "pin poisoning": pin_poisoning,
    "self-join": self_join,
}


def _without(document: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != name}


# Mutations of one valid summary that no receiver may accept, for hypothesis to draw.
MUTATIONS: dict[str, Callable[[Scene, dict[str, Any], random.Random], Any]] = {
    "flip a payload bit": lambda s, d, r: _flip_payload(s.attacker.sign(d), r),
    "flip a signature bit": lambda s, d, r: _flip_signature(s.attacker.sign(d), r),
    "another origin": lambda s, d, r: s.attacker.sign({**d, "origin": s.target}),
    "unknown field": lambda s, d, r: s.attacker.sign(
        {**d, r.choice(["note", "name", "email"]): "x"}
    ),
    "missing field": lambda s, d, r: s.attacker.sign(_without(d, r.choice(sorted(d)))),
    "not canonical": lambda s, d, r: s.attacker.sign_text(
        json.dumps(d, indent=r.choice([None, 1]))
    ),
    "a float": lambda s, d, r: s.attacker.sign_text(
        compact(d).replace('"revision":', '"revision":0.5,"r":', 1)
    ),
    "out of range": lambda s, d, r: s.attacker.sign_text(
        compact({**d, "metrics": {**d["metrics"], "repairs": r.choice([-1, 2**53, 10**30])}})
    ),
    "undeclared metric": lambda s, d, r: s.attacker.sign(
        {**d, "metrics": {**d["metrics"], "extra": 1}}
    ),
    "hidden character": lambda s, d, r: s.attacker.sign(
        {**d, "period": d["period"] + r.choice(HIDDEN[:7])}
    ),
    "unknown plugin": lambda s, d, r: s.attacker.sign({**d, "plugin": "otherplugin"}),
    "not rounded": lambda s, d, r: s.attacker.sign(
        {**d, "metrics": {**d["metrics"], "visitors": 5 * r.randint(1, 99) + r.randint(1, 4)}}
    ),
    "bad time": lambda s, d, r: s.attacker.sign(
        {
            **d,
            "generated_at": r.choice(
                ["2025-02-30T00:00:00Z", "2025-06-01T09:00:60Z", "0000-01-01T00:00:00Z"]
            ),
        }
    ),
    "vouch as an instance": lambda s, d, r: s.attacker.sign(s.statement(s.stranger(r)[1])),
    "poisoned key": lambda s, d, r: s.attacker.sign_text(
        compact(s.statement(s.stranger(r, public_key=r.choice(BAD_KEYS))[1]))
    ),
}
