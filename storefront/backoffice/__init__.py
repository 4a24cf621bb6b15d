"""Backoffice feature."""
