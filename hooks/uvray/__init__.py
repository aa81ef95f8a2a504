"""uvray: find the uv/Ray settings that make Ray workers reinstall a project and die."""

from __future__ import annotations

__version__ = "0.1.0"
