"""The issue search, as plain code: the window (window.py), and a source per
deployment that reads the window's issues in `updated` order (cloud.py,
datacenter.py), each with its pass for issues that paging skipped (recovery.py)."""
