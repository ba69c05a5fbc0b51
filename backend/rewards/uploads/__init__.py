"""Bulk reward uploads ("IPA files"): a CSV or XLSX file parsed as a stream, every row validated and
staged for review, fixed inline, priced in a dry run, and issued only after a second admin approves."""
