"""The supplier API (`/v1/supplier/...`, `/v1/edi`): a partner's client on its own data."""
