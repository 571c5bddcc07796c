"""Fees: fee rules per resource, the price of a booking and what a
cancellation costs — pure functions over plain values, no database.

- ``rules``: ``FeeRule`` (the API's fee-rule shape) and ``parse_rules``, which
  validates rules from the API or a file into rule objects;
- ``pricing``: ``price(...)`` → ``Fee`` (integer cents, EUR, itemised);
- ``cancellation``: ``CancellationPolicy`` / ``parse_policy`` and
  ``cancel(...)`` → ``Cancellation`` (what stays owed, what is refunded);
- ``schedule``: ``load_schedule(path)``, the example fee schedule in
  ``config/fee_schedule.example.json`` validated into those objects.
"""
