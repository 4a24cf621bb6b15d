"""Webhooks feature."""
