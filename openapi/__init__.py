"""The contract: one OpenAPI slice per operation, and the loader that bundles them.

Both the mock server and the contract suite read the contract through
:func:`openapi.bundle.load_bundle`, and neither reads it from a running server.
"""
