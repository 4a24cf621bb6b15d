"""Suppliers feature."""
