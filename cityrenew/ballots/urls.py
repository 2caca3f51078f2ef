"""Staff pages of owners' votes, under /plans/votes/."""

from django.urls import path

from cityrenew.core.generic import object_urls

from . import views

app_name = "ballots"

urlpatterns = object_urls("vote", list_view=views.VoteListView, detail_view=views.VoteView,
                          edit_view=views.VoteEditView, delete_view=views.VoteDeleteView) + [
    path("<int:pk>/register/", views.RegisterImportView.as_view(), name="vote_register"),
    path("<int:pk>/codes/", views.IssueCodesView.as_view(), name="vote_codes"),
    path("<int:pk>/reissue/", views.ReissueCodeView.as_view(), name="vote_reissue"),
    path("<int:pk>/paper/", views.PaperBallotView.as_view(), name="vote_paper"),
    path("<int:pk>/ballots.csv", views.BallotListView.as_view(), name="vote_ballots_csv"),
    path("<int:pk>/certificate/", views.CertificateView.as_view(), name="vote_certificate"),
]
