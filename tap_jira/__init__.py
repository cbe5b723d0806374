"""tap-jira: a Singer tap for Jira."""
