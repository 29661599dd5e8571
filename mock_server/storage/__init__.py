"""Where state lives: memory or SQLite, and the upload blobs beside it.

No HTTP framework is imported here."""
