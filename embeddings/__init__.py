"""Text to vectors to neighbours: pure computation, no SQL and no HTTP."""
