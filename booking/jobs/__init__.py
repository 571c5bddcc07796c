"""Scheduled jobs: the scheduler process, the job registry and the record of runs."""
