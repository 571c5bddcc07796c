"""People, their roles per municipality, organisations, sign-in and API tokens."""
