"""ASGI plumbing: header helpers, path templates, the base URL, CORS, dispatch, the
request journal and the GC policy.

Nothing here knows an operation of the contract; it moves bytes and records them."""
