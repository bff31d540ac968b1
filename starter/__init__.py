"""The CLI and the local stack. Nothing imports this package."""
