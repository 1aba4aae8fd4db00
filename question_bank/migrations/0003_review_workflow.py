"""The review workflow "题目审核": one QuestionReviewTask for the reviewer group, on the Question snippet."""

from django.db import migrations

WORKFLOW_NAME = "题目审核"
TASK_NAME = "审题专家审核"
REVIEWER_GROUP = "审题专家"  # academy.accounts.roles.BANK_REVIEWER.group_name (stable by contract)


def create_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")
    QuestionReviewTask = apps.get_model("question_bank", "QuestionReviewTask")

    task_ct, _ = ContentType.objects.get_or_create(app_label="question_bank", model="questionreviewtask")
    question_ct, _ = ContentType.objects.get_or_create(app_label="question_bank", model="question")
    group, _ = Group.objects.get_or_create(name=REVIEWER_GROUP)

    task = QuestionReviewTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = QuestionReviewTask.objects.create(name=TASK_NAME, content_type=task_ct, active=True)
    task.groups.add(group)
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    WorkflowContentType.objects.update_or_create(content_type=question_ct, defaults={"workflow": workflow})


def remove_workflow(apps, schema_editor):
    apps.get_model("wagtailcore", "Workflow").objects.filter(name=WORKFLOW_NAME).delete()
    apps.get_model("question_bank", "QuestionReviewTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("question_bank", "0002_review_task_export_log"),
        ("wagtailcore", "0098_apitoken"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_workflow, remove_workflow)]
