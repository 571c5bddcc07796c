"""Cemeteries, plots, grave rights and burials (uses booking's services)."""
