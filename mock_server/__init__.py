"""The offline twin of DayZero's bulk-import API: ``create_app(config)`` or ``dayzero-mock``."""
