"""An issue's children (comments, worklogs, changelog histories): what Jira sent inline,
what is missing, and the bulk calls that fetch the rest."""

from .batch import CHILD_STREAMS, BatchPlan, batches, children_to_read, collect_children
from .fetch import ChildFetcher

__all__ = ["CHILD_STREAMS", "BatchPlan", "ChildFetcher", "batches", "children_to_read", "collect_children"]
