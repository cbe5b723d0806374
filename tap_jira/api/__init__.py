"""Talking to Jira: one client (client.py) over a paced, deadline-bounded transport,
with one paginator per paging style and one reading of what an answer means."""
