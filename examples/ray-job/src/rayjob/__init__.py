"""A tiny Ray job."""
