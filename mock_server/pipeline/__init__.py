"""The contract-driven request pipeline: compile the slices, validate, negotiate, generate.

Everything here is read from ``openapi/``; nothing knows what an invoice is."""
