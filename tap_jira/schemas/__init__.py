"""JSON Schema files, one per stream (shipped in the wheel as tap_jira.schemas)."""
