"""Reality tests: run real uv to check the facts our rules rest on (see shared/reality.md)."""
