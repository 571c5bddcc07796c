"""Hall bookings: occurrences, claims, the conflict engine, series, approval."""
