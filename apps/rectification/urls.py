from django.urls import path

from . import views

urlpatterns = [
    path("", views.task_list, name="rectification-list"),
    path("new/", views.task_new, name="rectification-new"),
    path("<int:pk>/", views.task_detail, name="rectification-detail"),
    path("<int:pk>/answer/", views.task_answer, name="rectification-answer"),
    path("<int:pk>/accept/", views.task_accept, name="rectification-accept"),
    path("<int:pk>/reopen/", views.task_reopen, name="rectification-reopen"),
    path("<int:pk>/comment/", views.task_comment, name="rectification-comment"),
    path("attachments/<int:pk>/", views.attachment_download, name="rectification-attachment"),
]
