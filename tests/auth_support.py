"""Helpers for the identity tests: forging tokens, a real JWKS server on loopback, a clock."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jws
from jose.backends.base import Key
from jose.backends.cryptography_backend import CryptographyECKey, CryptographyRSAKey

from app.auth.keys import public_jwk, thumbprint

ISSUER = "https://kpas.kent.gov.uk"
AUDIENCE = "kpas-api"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def raw_token(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"sig") -> str:
    """A token assembled by hand: whatever header and signature an attacker likes."""
    return f"{segment(header)}.{segment(claims)}.{b64url(signature)}"


def valid_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "admin-1",
        "iat": now,
        "exp": now + 600,
        "roles": ["admin"],
    }
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


class ForeignKey:
    """A key pair this service does not trust (an attacker's, or the IdP's in tests)."""

    def __init__(self, algorithm: str = "RS256", kid: str | None = None) -> None:
        self.algorithm = algorithm
        private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
        if algorithm == "RS256":
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.signer: Key = CryptographyRSAKey(private, algorithm)
        else:
            private = ec.generate_private_key(ec.SECP256R1())
            self.signer = CryptographyECKey(private, algorithm)
        self.private = private
        self.public_jwk: dict[str, str] = public_jwk(private.public_key())
        self.kid = kid or thumbprint(self.public_jwk)

    def jwk(self) -> dict[str, str]:
        return {**self.public_jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def sign(self, claims: dict[str, Any], **headers: Any) -> str:
        merged = {"kid": self.kid, **headers}
        return jws.sign(claims, self.signer, headers=merged, algorithm=self.algorithm)


def sign_with(signer: Key, algorithm: str, kid: str, claims: dict[str, Any], **headers: Any) -> str:
    return jws.sign(claims, signer, headers={"kid": kid, **headers}, algorithm=algorithm)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class JwksServer:
    """A real HTTP server on loopback publishing a JWK Set, counting the fetches."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": []}
        self.status = 200
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                body = json.dumps(server.document).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/jwks.json"

    def publish(self, *keys: ForeignKey) -> None:
        self.document = {"keys": [k.jwk() for k in keys]}

    @contextmanager
    def running(self) -> Iterator[JwksServer]:
        thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._httpd.shutdown()
            self._httpd.server_close()
            thread.join(timeout=5)
