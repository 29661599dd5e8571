"""The exit statuses every ``dayzero-contract`` command shares, declared once.

CI reads them: 0 the implementation keeps the contract (or the two compared agree),
1 it breaks it (or they differ), 2 the tool could not run. 1 is never used for a
tool's own failure, which would blame the implementation.
"""

from __future__ import annotations

EXIT_KEPT, EXIT_BROKEN, EXIT_ERROR = 0, 1, 2
