"""Identity: token verification, principals, and the service's own client-credentials issuer."""
