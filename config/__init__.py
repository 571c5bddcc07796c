"""Settings: defaults, environment overrides and their validation."""
