"""FastAPI adapters: routers, dependencies and the problem+json renderer. No business rules here."""
