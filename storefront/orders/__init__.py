"""Orders feature."""
