"""The service's own signing keys, and the public keys every token is verified with.

Private keys are PEM files in ``settings.signing_keys_dir``. The newest signs; every key in
the directory verifies and is published at ``/.well-known/jwks.json``, so during a rotation the
old key keeps verifying the tokens it signed until they expire. A key's ``kid`` is its RFC 7638
JWK thumbprint, so it names the key itself and can never be reused for another one.

Each key fixes the one algorithm it may be used with: an RSA key verifies only RS256 and an EC
P-256 key only ES256. That tie, not the token's header, decides how a signature is checked.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jws
from jose.backends.base import Key
from jose.backends.cryptography_backend import CryptographyECKey, CryptographyRSAKey

from app.crypto.files import write_secret_file
from app.log import get_logger
from app.settings import Environment, Settings

log = get_logger("kpas.auth.keys")

RS256 = "RS256"
ES256 = "ES256"
#: The only algorithms accepted anywhere: asymmetric, each tied to one key type.
ALGORITHMS = frozenset({RS256, ES256})
RSA_MIN_BITS = 2048
RSA_BITS = 2048

#: File name prefixes: ``dev-`` keys are generated on the fly and refused in production.
DEV_PREFIX = "dev-"
KEY_PREFIX = "kpas-"
_STAMP = re.compile(r"(\d{8}T\d{6}\d{0,6}Z)\.pem$")
_STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


class SigningKeysError(RuntimeError):
    """The signing keys cannot be used: none in production, a development key in production,
    or a file that is not a usable private key."""


# --- public keys ----------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_int(value: int, length: int | None = None) -> str:
    size = length if length is not None else max(1, (value.bit_length() + 7) // 8)
    return _b64url(value.to_bytes(size, "big"))


def _b64url_decode_int(text: object) -> int:
    if not isinstance(text, str) or not text or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise ValueError("not a base64url value")
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def algorithm_for(public_key: object) -> str:
    """The one algorithm a key may be used with; refuses weak and unsupported keys."""
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < RSA_MIN_BITS:
            raise ValueError(f"RSA keys must have at least {RSA_MIN_BITS} bits")
        return RS256
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if not isinstance(public_key.curve, ec.SECP256R1):
            raise ValueError("EC keys must be on the P-256 curve (ES256)")
        return ES256
    raise ValueError("only RSA and EC P-256 keys are supported")


def _jose_key(key: PrivateKey | PublicKey, algorithm: str) -> Key:
    """A python-jose key object around an already parsed key: built once, used many times."""
    if algorithm == RS256:
        return CryptographyRSAKey(key, algorithm)
    return CryptographyECKey(key, algorithm)


def public_jwk(public_key: PublicKey) -> dict[str, str]:
    """The RFC 7517 members that define the public key (what RFC 7638 hashes)."""
    if isinstance(public_key, rsa.RSAPublicKey):
        numbers = public_key.public_numbers()
        return {"e": _b64url_int(numbers.e), "kty": "RSA", "n": _b64url_int(numbers.n)}
    point = public_key.public_numbers()
    return {
        "crv": "P-256",
        "kty": "EC",
        "x": _b64url_int(point.x, 32),
        "y": _b64url_int(point.y, 32),
    }


def thumbprint(jwk: Mapping[str, str]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256): the required members, sorted, no whitespace."""
    canonical = json.dumps(dict(sorted(jwk.items())), separators=(",", ":")).encode()
    return _b64url(hashlib.sha256(canonical).digest())


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A public key, the single algorithm it verifies, and its ``kid``."""

    kid: str
    algorithm: str
    key: Key

    def verify(self, signing_input: bytes, signature: bytes) -> bool:
        return bool(self.key.verify(signing_input, signature))

    @classmethod
    def from_public_key(cls, public_key: PublicKey, kid: str | None = None) -> VerificationKey:
        algorithm = algorithm_for(public_key)
        return cls(
            kid=kid or thumbprint(public_jwk(public_key)),
            algorithm=algorithm,
            key=_jose_key(public_key, algorithm),
        )

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> VerificationKey:
        """Build a key from one JWKS entry; ``ValueError`` if it is not a usable signing key.

        The algorithm comes from the key type; a JWK whose ``alg`` says otherwise is refused,
        as is one marked for encryption or carrying private members.
        """
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not 0 < len(kid) <= 256:
            raise ValueError("a key without a kid cannot be selected")
        if jwk.get("use", "sig") != "sig":
            raise ValueError("not a signing key")
        if any(member in jwk for member in ("d", "p", "q", "k")):
            raise ValueError("private or symmetric key material in a public key set")
        kty = jwk.get("kty")
        public_key: PublicKey
        if kty == "RSA":
            public_key = rsa.RSAPublicNumbers(
                _b64url_decode_int(jwk.get("e")), _b64url_decode_int(jwk.get("n"))
            ).public_key()
        elif kty == "EC" and jwk.get("crv") == "P-256":
            public_key = ec.EllipticCurvePublicNumbers(
                _b64url_decode_int(jwk.get("x")),
                _b64url_decode_int(jwk.get("y")),
                ec.SECP256R1(),
            ).public_key()
        else:
            raise ValueError("only RSA and EC P-256 keys are supported")
        key = cls.from_public_key(public_key, kid)
        if jwk.get("alg", key.algorithm) != key.algorithm:
            raise ValueError("the key's alg does not match its type")
        return key


# --- the service's own keys -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One of the service's private keys, with everything derived from it computed once."""

    path: Path
    created: datetime
    development: bool
    algorithm: str
    kid: str
    signer: Key
    verification: VerificationKey
    jwk: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Path) -> SigningKey:
        return _load_signing_key(path.resolve(), *_file_version(path))

    @classmethod
    def parse_file(cls, path: Path) -> SigningKey:
        try:
            private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise SigningKeysError(
                f"{path.name} is not an unencrypted PEM private key: {type(exc).__name__}"
            ) from exc
        if not isinstance(private, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise SigningKeysError(f"{path.name}: only RSA and EC P-256 keys are supported")
        try:
            verification = VerificationKey.from_public_key(private.public_key())
        except ValueError as exc:
            raise SigningKeysError(f"{path.name}: {exc}") from exc
        jwk = {
            **public_jwk(private.public_key()),
            "kid": verification.kid,
            "alg": verification.algorithm,
            "use": "sig",
        }
        return cls(
            path=path,
            created=_created(path),
            development=path.name.startswith(DEV_PREFIX),
            algorithm=verification.algorithm,
            kid=verification.kid,
            signer=_jose_key(private, verification.algorithm),
            verification=verification,
            jwk=jwk,
        )


def _file_version(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=64)
def _load_signing_key(path: Path, _mtime_ns: int, _size: int) -> SigningKey:
    """Parse a key file once per version of it. Loading an RSA private key validates it, which
    takes tens of milliseconds; a file changed in place (new mtime or size) is parsed again."""
    return SigningKey.parse_file(path)


def _created(path: Path) -> datetime:
    """When a key was made: the UTC stamp in its file name, else the file's modification time."""
    match = _STAMP.search(path.name)
    if match:
        digits = match.group(1)
        date, _, rest = digits.partition("T")
        micros = rest[6:-1].ljust(6, "0")
        return datetime.strptime(f"{date}T{rest[:6]}{micros}Z", _STAMP_FORMAT).replace(tzinfo=UTC)
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def read_keys(directory: Path) -> list[SigningKey]:
    """Every key in ``directory``, oldest first. Hidden and non-``.pem`` files are ignored."""
    if not directory.is_dir():
        return []
    paths = [p for p in directory.glob("*.pem") if not p.name.startswith(".") and p.is_file()]
    keys = [SigningKey.from_file(p) for p in paths]
    keys.sort(key=lambda k: (k.created, k.path.name))
    return keys


def generate_private_key(algorithm: str) -> PrivateKey:
    if algorithm == RS256:
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    if algorithm == ES256:
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unsupported signing algorithm {algorithm!r}")


def write_key(directory: Path, algorithm: str, *, development: bool) -> Path:
    """Generate a key and write it atomically (owner-only permissions) under a stamped name."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now(UTC).strftime(_STAMP_FORMAT)
    path = directory / f"{DEV_PREFIX if development else KEY_PREFIX}{stamp}.pem"
    pem = generate_private_key(algorithm).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return write_secret_file(path, pem)


@dataclass(frozen=True, slots=True)
class _RingState:
    keys: tuple[SigningKey, ...]
    by_kid: dict[str, VerificationKey]
    jwks: dict[str, list[dict[str, str]]]


class KeyRing:
    """The service's keys: the newest signs, all verify, all are published."""

    def __init__(self, keys: Sequence[SigningKey]) -> None:
        self._state = self._build(keys)

    @staticmethod
    def _build(keys: Sequence[SigningKey]) -> _RingState:
        if not keys:
            raise SigningKeysError("a key ring needs at least one key")
        return _RingState(
            keys=tuple(keys),
            by_kid={k.kid: k.verification for k in keys},
            jwks={"keys": [k.jwk for k in keys]},
        )

    def replace(self, keys: Sequence[SigningKey]) -> None:
        """Swap in a re-read set of keys (one assignment: readers see old or new, never half)."""
        self._state = self._build(keys)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        """Load the keys; outside production, generate a development key if there are none.

        In production, refuse to start without keys or with any development key.
        """
        directory = settings.signing_keys_dir
        keys = read_keys(directory)
        if settings.env is Environment.PRODUCTION:
            if not keys:
                raise SigningKeysError(
                    f"no signing keys in {directory}: create one with `kpas keys rotate`"
                )
            development = [k.path.name for k in keys if k.development]
            if development:
                raise SigningKeysError(
                    "development signing keys are refused in production: "
                    + ", ".join(sorted(development))
                )
        elif not keys:
            path = write_key(directory, settings.signing_algorithm, development=True)
            log.warning("development_signing_key_generated", file=path.name)
            keys = read_keys(directory)
        return cls(keys)

    @property
    def keys(self) -> tuple[SigningKey, ...]:
        return self._state.keys

    @property
    def signing_key(self) -> SigningKey:
        return self._state.keys[-1]

    def find(self, kid: str) -> VerificationKey | None:
        return self._state.by_kid.get(kid)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public JWK Set (RFC 7517 §5), every live key."""
        return self._state.jwks

    def sign(self, claims: Mapping[str, Any]) -> str:
        """A compact JWS over ``claims``, signed by the newest key, naming it by ``kid``."""
        key = self.signing_key
        return jws.sign(
            dict(claims),
            key.signer,
            headers={"kid": key.kid, "typ": "JWT"},
            algorithm=key.algorithm,
        )


def rotate_keys(directory: Path, algorithm: str, *, keep: int = 2) -> tuple[Path, list[Path]]:
    """Add a new (production) key, which signs from the next start, and retire old ones.

    The ``keep`` newest keys stay (the new one and, by default, its predecessor, so tokens the
    predecessor signed still verify until they expire); older files are deleted. Returns the
    new key's path and the retired paths.
    """
    if keep < 1:
        raise ValueError("keep at least the new key")
    new = write_key(directory, algorithm, development=False)
    keys = read_keys(directory)
    retired = [k.path for k in keys[:-keep]] if len(keys) > keep else []
    for path in retired:
        path.unlink(missing_ok=True)
    return new, retired
