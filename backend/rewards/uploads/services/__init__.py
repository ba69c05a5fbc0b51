"""Bulk upload use cases, one module per step: ``parsing`` (CSV/XLSX streamed, bounded; ``columns``
names the header), ``validation`` (the row rules; ``contact_checks`` normalises the rows' contact
points, in a process pool for a large file), ``staging`` (a file validated and written for
review), ``review`` (counts, bad rows, inline fixes, the error report), ``pricing`` (the dry run) and
``approval`` (maker-checker, then resumable, idempotent issuance in chunks). These functions are
the only writers of the upload tables."""
