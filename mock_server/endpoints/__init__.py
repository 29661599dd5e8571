"""The ASGI endpoints: documented operations, the admin API and the offline docs."""
