"""Deletes: rows Jira no longer has, reported as RECORDs with `_sdc_deleted_at`.

- issues: an id census of the scope, compared with the ids the tap has written
  (`store`), each candidate checked before it is reported (`census`);
- comments: the complete comment list of each issue re-read, compared with the
  comments written for it (no request of its own), and the comments of deleted issues;
- worklogs: Jira's own feed of deleted worklogs (`worklogs`).
"""
