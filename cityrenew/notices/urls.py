"""Staff pages of notices, under /plans/notices/."""

from django.urls import path

from . import views

app_name = "notices"

urlpatterns = [
    path("", views.NoticeListView.as_view(), name="notice_list"),
    path("close-ended/", views.close_ended, name="close_ended"),
    path("new/<int:plan_pk>/", views.notice_add, name="notice_add"),
    path("<int:pk>/", views.NoticeView.as_view(), name="notice_detail"),
    path("<int:pk>/record.docx", views.notice_record, name="notice_record"),
    path("<int:pk>/comments/<int:comment_pk>/moderate/", views.comment_moderate, name="comment_moderate"),
    path("<int:pk>/comments/<int:comment_pk>/reply/", views.comment_reply, name="comment_reply"),
]
