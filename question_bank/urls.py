app_name = "question_bank"

urlpatterns: list = []
