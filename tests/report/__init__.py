"""Reporter tests: hand-built Reports rendered to exact text, escaping, caps and schema checks."""
