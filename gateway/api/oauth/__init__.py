"""The OAuth 2 authorization server: client credentials for suppliers and internal systems.

- `scopes`: the scope catalogue and the internal roles.
- `crypto`: the server secrets (client secret pepper, key encryption key) from one master secret.
- `keys`: the gateway's token signing keys, rotation and the published JWKS.
- `clients`: registering clients (partner files, the admin CLI), issuing and checking secrets.
- `tokens`: RFC 9068 JWT access tokens, signed and verified with joserfc.
- `server`: the bridge to authlib's (synchronous) server API: the Starlette request adapter, the
  grant, client authentication (basic, post, private_key_jwt), introspection and revocation.
- `routes`: `/oauth/token`, `/oauth/introspect`, `/oauth/revoke`, the RFC 8414 metadata and the JWKS.

authlib is imported in `server` alone; the rest of the API sees `tokens.verify` and `CurrentClient`.
"""
