"""``dayzero-contract diff``: one deterministic scenario against two implementations,
and where their answers disagree once what may legitimately differ is masked."""
