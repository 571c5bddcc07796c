"""Mail: composed by ``notify``, queued in the outbox, delivered by a job."""
