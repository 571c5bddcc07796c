"""Halls, rooms, parts, opening hours, closures and public holidays."""
