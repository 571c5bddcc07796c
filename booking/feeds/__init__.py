"""iCalendar feeds (private by token, public busy-only) and ICS downloads."""
