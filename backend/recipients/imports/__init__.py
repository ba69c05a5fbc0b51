"""Importing recipients from a file in the console: an HR export (Workday, SAP SuccessFactors,
Darwinbox) or any CSV/XLSX through a custom mapping, read by the HR sync (``hr_sync``).

Like a reward upload, nothing is written before a person has seen what will happen:

1. ``receiving.receive_import`` (the console) stores the file with the mapping and writes a
   ``recipient_import.received`` outbox event; the import is ``checking``.
2. ``checking.check_import`` (the worker, ``jobs/recipient_imports.py``) reads every row through
   the mapping and decides, without writing a recipient, whether it would create one, update one
   (and which fields), change nothing, or be rejected (with the reason), a batch per transaction
   with the import's progress; past its time budget the next run resumes after the last row
   decided. Then the import is ``reviewed`` (or ``refused``, for a file that cannot be read).
3. ``applying.apply_import`` (the console) marks it ``applying`` with a
   ``recipient_import.applying`` event; ``applying.run_apply`` (the worker) syncs the rows to
   create or update with ``hr_sync.sync_recipients``, a chunk per step with its progress, and the
   import ends ``applied`` with what was really created and updated (a row that stopped being
   valid since the review is rejected then, with its reason). ``discard_import`` drops a review.

Modules: ``tables``, ``views``, ``receiving`` (storing the file, reading it back), ``checking``,
``applying``, ``reading`` (lists and rows for the console).
"""
