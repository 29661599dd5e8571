"""The pure domain: CSV rows to invoices and bills, money, the world, samples, the clock.

No HTTP framework and no storage is imported here."""
