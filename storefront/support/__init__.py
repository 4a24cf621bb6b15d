"""Support feature."""
