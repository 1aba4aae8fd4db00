"""WAGTAIL_FINISH_WORKFLOW_ACTION of the project (see review.py for the four-eyes rule).

Wagtail imports this while its own models are still loading, so nothing is imported at module level.
"""


def publish_workflow_state(workflow_state, user=None):
    from .review import publish_workflow_state as publish

    return publish(workflow_state, user=user)
