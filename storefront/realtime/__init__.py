"""Live pages: one socket per tab (`/ws/live`) carrying every push a page listens for, fed by Redis pub/sub."""
